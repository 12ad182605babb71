"""PyInstaller entry point for ``testconnection-cli`` (same as the console script of that name)."""

import sys

from core.program import main

if __name__ == "__main__":
    sys.exit(main())
