"""Capture: screen, input and window focus, behind small interfaces so that other
platforms can follow X11, and the recorder that writes them into a bundle."""
