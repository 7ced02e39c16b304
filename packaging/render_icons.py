"""Renders the app's SVG icon to the PNG sizes the desktop menu uses (build step)."""

import sys
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QGuiApplication, QImage, QPainter
from PyQt6.QtSvg import QSvgRenderer


def main(svg: str, out_dir: str, *sizes: str) -> None:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs it to paint
    renderer = QSvgRenderer(svg)
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    for size in map(int, sizes):
        img = QImage(size, size, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        painter = QPainter(img)
        renderer.render(painter)
        painter.end()
        out = Path(out_dir) / f"annotator-{size}.png"
        if not img.save(str(out)):
            raise SystemExit(f"render_icons: cannot write {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
