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
SEC_E_TARGET_UNKNOWN = 0x80090303
SEC_E_LOGON_DENIED = 0x8009030C
SEC_E_NO_CREDENTIALS = 0x8009030E
SEC_E_TIME_SKEW = 0x80090324
SEC_E_MUTUAL_AUTH_FAILED = 0x80090363
# NTSTATUS values, as Kerberos' KERB-EXT-ERROR carries them to a Windows client (MS-KILE 2.2.1; ntstatus.h).
STATUS_PASSWORD_EXPIRED = 0xC0000071
STATUS_ACCOUNT_DISABLED = 0xC0000072
