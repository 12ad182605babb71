"""Light or dark: the window follows the OS's colour scheme (Qt's ``QStyleHints.colorScheme``), or the one chosen
in Settings, and picks its own colours (gui/colours.py) to match.

Where the platform cannot switch the palette itself (X11 without a desktop theme plugin, the Windows Vista style),
a dark Fusion palette is set here, so "Dark" means dark everywhere.
"""

from __future__ import annotations

from gui.colours import follow_palette, palette_is_dark
from gui.qt import QApplication, QColor, QGuiApplication, QPalette, Qt

THEMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
_SCHEMES = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}


def wants_dark(theme: str) -> bool:
    """Whether ``theme`` means dark now: as chosen, or as the OS says when following it."""
    scheme = _SCHEMES.get(theme) or QGuiApplication.styleHints().colorScheme()
    return scheme == Qt.ColorScheme.Dark


def apply_theme(theme: str) -> None:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    hints = QGuiApplication.styleHints()
    dark = wants_dark(theme)
    if hasattr(hints, "setColorScheme"):  # Qt ≥ 6.8: the platform switches its palette where it can
        hints.setColorScheme(_SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    if dark != palette_is_dark():
        if dark and app.style().name().lower() == "windowsvista":
            app.setStyle("Fusion")  # the Vista style draws light whatever the palette says
        app.setPalette(dark_palette() if dark else app.style().standardPalette())
    follow_palette()


def dark_palette() -> QPalette:
    """Fusion's colours for a dark window."""
    palette = QPalette()
    role = QPalette.ColorRole
    colours = {
        role.Window: "#2d2d2d", role.WindowText: "#e6e6e6", role.Base: "#1e1e1e", role.AlternateBase: "#262626",
        role.ToolTipBase: "#3c3c3c", role.ToolTipText: "#f0f0f0", role.PlaceholderText: "#9a9a9a",
        role.Text: "#e6e6e6", role.Button: "#353535", role.ButtonText: "#e6e6e6", role.BrightText: "#ff6e6e",
        role.Link: "#8ab4f8", role.Highlight: "#2f65ca", role.HighlightedText: "#ffffff",
        role.Light: "#505050", role.Midlight: "#404040", role.Mid: "#303030", role.Dark: "#1a1a1a",
        role.Shadow: "#000000",
    }
    for colour_role, name in colours.items():
        palette.setColor(colour_role, QColor(name))
    disabled = QPalette.ColorGroup.Disabled
    for colour_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, colour_role, QColor("#7f7f7f"))
    return palette
