"""Windows' own numbers for what a Windows client shows (wsmerror.h, winerror.h, winhttp.h, sspi.h).

Only codes a public source confirms are used; see docs/diagnosis.md for where each comes from.
"""

from __future__ import annotations

ERROR_WSMAN_CANNOT_CONNECT = 0x80338012  # 2150858770: what New-CimSession shows when nothing listens
ERROR_WSMAN_TIMEOUT = 0x80338126  # 2150859046
ERROR_WSMAN_OPERATION_TIMEDOUT = 0x80338029  # 2150858793: the w:TimedOut fault
ERROR_WSMAN_URL_NOT_FOUND = 0x80338113  # 2150859027
ERROR_WSMAN_UNENCRYPTED_DISABLED = 0x803380DE  # the client refuses Basic in clear text
ERROR_WINHTTP_SECURE_FAILURE = 12175
ERROR_ACCESS_DENIED = 5
ERROR_CANCELLED = 1223
SEC_E_NO_AUTHENTICATING_AUTHORITY = 0x80090311
SEC_E_WRONG_PRINCIPAL = 0x80090322
# The shell's Create (wsmerror.h names; the numbers as WSManFault Code carries them).
ERROR_WSMAN_INVALID_RESOURCE_URI = 0x8033803B  # 2150858811: "The resource URI (…) was not found in the catalog"
ERROR_WSMAN_UNEXPECTED_SELECTORS = 0x8033805B  # 2150858843: no shell with that ShellId (pypsrp RunspacePool.is_alive)
E_ACCESSDENIED = 0x80070005  # 2147942405: access denied as an HRESULT, as a plugin may fault (w:InternalError)
ERROR_WSMAN_QUOTA_LIMIT = 0x8033803F  # 2150858815
ERROR_WSMAN_QUOTA_MAX_SHELLS = 0x803381A5  # 2150859173: "This user is allowed a maximum number of N shells"
ERROR_WSMAN_QUOTA_MAX_SHELLUSERS = 0x803381AB  # 2150859179: MaxConcurrentUsers
ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED = 0x803381AC  # 2150859180: AllowRemoteShellAccess is off
ERROR_WSMAN_QUOTA_MAX_SHELLS_PPQ = 0x803381E4  # 2150859236: a plugin's MaxShellsPerUser
ERROR_WSMAN_QUOTA_MAX_USERS_PPQ = 0x803381E5  # 2150859237: a plugin's MaxConcurrentUsers
ERROR_WSMAN_QUOTA_MAX_PLUGINSHELLS_PPQ = 0x803381E6  # 2150859238: a plugin's MaxShells
SHELL_QUOTAS = frozenset({
    ERROR_WSMAN_QUOTA_LIMIT, ERROR_WSMAN_QUOTA_MAX_SHELLS, ERROR_WSMAN_QUOTA_MAX_SHELLUSERS,
    ERROR_WSMAN_QUOTA_MAX_SHELLS_PPQ, ERROR_WSMAN_QUOTA_MAX_USERS_PPQ, ERROR_WSMAN_QUOTA_MAX_PLUGINSHELLS_PPQ,
})  # fmt: skip
