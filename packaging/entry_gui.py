"""PyInstaller entry point for the ``TestConnection`` desktop program (same as the ``testconnection`` script)."""

import sys

from gui.app import main

if __name__ == "__main__":
    sys.exit(main())
