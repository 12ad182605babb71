"""Regenerate the application icon's PNG and ICO from ``resources/testconnection.svg``.

Run ``python -m gui.make_icons`` after editing the SVG and commit the results. The app reads ``gui/resources``
only; ``resources/`` keeps the hand-written source and the files packaging (PyInstaller, the .exe icon) uses.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "testconnection.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from gui.qt import QColor, QGuiApplication, QImage, QPainter, QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"cannot read {SOURCE}", file=sys.stderr)
        return 1

    def render(size: int) -> QImage:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(QColor(0, 0, 0, 0))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        return image

    png = ROOT / "resources" / "testconnection.png"
    ico = ROOT / "resources" / "testconnection.ico"
    if not render(256).save(str(png), b"PNG"):
        return 1
    # Qt's ICO writer stores one image per file; Windows picks the best size, so the largest is what to keep.
    if not render(256).save(str(ico), b"ICO"):
        return 1
    for path in (SOURCE, png, ico):
        shutil.copyfile(path, ROOT / "gui" / "resources" / path.name)
        print(f"wrote {path.relative_to(ROOT)} and gui/resources/{path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
