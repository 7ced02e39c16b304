"""The desktop UI (PyQt6).  The only package that imports Qt; it calls the Qt-free core."""
