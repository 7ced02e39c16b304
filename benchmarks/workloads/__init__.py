"""Scripted on-screen workloads for the recorder benchmarks (PyQt6 windows plus xdotool
drivers).  Each module runs its window with ``python -m`` / as a script (``--app``), and
offers ``start(harness, xserver, ...)`` to the benchmarks."""
