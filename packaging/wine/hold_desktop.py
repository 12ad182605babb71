"""Keep Wine's desktop process alive for a whole smoke test (run by the Windows Python under Wine, in the background).

Wine starts its desktop process (explorer.exe /desktop) when a program first needs the desktop, and ends it about a
second after the last program using it has ended. Between the smoke test's programs it would so be started again
and again, each time by the program under test: as that program's child it inherits the program's output pipes (so
whoever reads them waits for the desktop process to end too) and its process group (so a Ctrl+C sent to the program
reaches the desktop process as well). This process uses the desktop and waits, so there is one desktop process,
started here, for the whole run; packaging/wine_prefix.py ends it.
"""

import ctypes
import time

ctypes.windll.user32.GetDesktopWindow()  # connects this process to the desktop: Wine starts the desktop process
while True:
    time.sleep(3600)
