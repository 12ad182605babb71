"""Labels that carry a message to the user: an input problem, a keyring or list-file warning.

Such messages quote what was typed or loaded, so they are always plain text: a host or list name holding markup
is shown as typed, never rendered.
"""

from __future__ import annotations

import html

from gui.qt import QLabel, Qt, QWidget

# Each sets its text and its background colour, so it reads the same in a light and a dark window.
ERROR_STYLE = "background:#fdecea; color:#8e0000; border:1px solid #f1aeb5; padding:3px; font-weight:bold;"
PROBLEM_STYLE = "background:#fdecea; color:#8e0000; border:1px solid #f1aeb5; padding:3px;"
BANNER_STYLE = "background:#fff3cd; color:#5c4400; border:1px solid #e0b400; padding:5px;"


def message_label(parent: QWidget, accessible_name: str, style: str = ERROR_STYLE, text: str = "") -> QLabel:
    """A wrapped plain-text label, hidden while it has nothing to say."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setAccessibleName(accessible_name)
    label.setStyleSheet(style)
    label.setWordWrap(True)
    label.setVisible(bool(text))
    return label


def plain_tooltip(text: str | None) -> str | None:
    """A tooltip shown exactly as written. Qt renders a tooltip that looks like HTML as HTML, and these texts quote
    what servers answered and what lists hold: escaped inside a paragraph that keeps the line breaks."""
    if not text:
        return None
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"
