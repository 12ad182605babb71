"""PyInstaller entry point for ``testconnection-cli`` (same as the console script of that name)."""

import sys

from core.cli import entry_point

if __name__ == "__main__":
    sys.exit(entry_point())
