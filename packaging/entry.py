"""The contributor app's entry point (PyInstaller runs this as ``annotator``)."""

import sys

from annotator.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
