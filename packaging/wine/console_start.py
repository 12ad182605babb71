"""Start a program the way Windows starts a GUI program typed at a console prompt: without standard handles.

Run by the Windows Python under Wine from a console (packaging/windows.py's console check); its only job is to
reproduce that one condition, which Wine's own loader does not (it hands every program the console's handles).
"""

import subprocess
import sys

no_handles = subprocess.STARTUPINFO(dwFlags=subprocess.STARTF_USESTDHANDLES, hStdInput=0, hStdOutput=0, hStdError=0)
sys.exit(subprocess.run(sys.argv[1:], startupinfo=no_handles, check=False).returncode)
