"""Failure kinds of authentication: schemes not offered, credentials refused, and this PC's own security layer."""

from __future__ import annotations

from core.failures import codes
from core.failures.kinds import Fix, Kind
from core.failures.kinds import Where as W
from core.mi import MIErrorCategory as C
from core.mi import MIResult as R

_SERVICE_AUTH = Fix(W.TARGET, "winrm get winrm/config/service/auth", "which schemes the service accepts")

KINDS = (
    Kind(
        "auth.not_offered", "auth", R.ACCESS_DENIED, C.NOT_ENABLED,
        problem="{auth_label} not enabled on the service",
        message="The listener does not offer {auth_label} authentication (it offers {offered}).",
        hint="Pick an offered scheme, or enable {auth_label} on the target's WinRM service{enable_hint}.",
        detail="{auth} not offered",
        fixes=(Fix(W.TARGET, "{enable_command}", "enables the scheme"), _SERVICE_AUTH),
    ),
    Kind(
        "auth.rejected", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Wrong user name or password",
        message="The credentials were rejected (HTTP 401).{offered_sentence}",
        hint="Check the password and that the account is not locked or expired; write the user as DOMAIN\\user "
        "(NTLM) or user@REALM (Kerberos). A local administrator other than the built-in Administrator also needs "
        "LocalAccountTokenFilterPolicy=1 on the target, and the user must be allowed to use WinRM "
        "(Administrators or Remote Management Users).",
        detail="401 with {auth}",
        windows_code=codes.ERROR_ACCESS_DENIED,
        fixes=(
            Fix(W.DOMAIN, "Get-ADUser {user_name} -Properties LockedOut,PasswordExpired,Enabled",
                "locked, expired or disabled?"),
            Fix(
                W.TARGET,
                "New-ItemProperty -Path HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System "
                "-Name LocalAccountTokenFilterPolicy -Value 1 -PropertyType DWord -Force",
                "only for a local account other than the built-in Administrator",
            ),
        ),
    ),
    Kind(
        "auth.basic_in_clear", "auth", R.ACCESS_DENIED, C.SECURITY_ERROR,
        problem="Basic over plain HTTP refused",
        message="Refused to send a Basic password over plain HTTP; no credential was sent.",
        hint="Use HTTPS, or NTLM/Kerberos (their messages are encrypted over HTTP). Only if you accept a readable "
        "password on the network: allow unencrypted traffic (--allow-unencrypted), as WinRM's AllowUnencrypted.",
        detail="Basic over HTTP refused",
        windows_code=codes.ERROR_WSMAN_UNENCRYPTED_DISABLED,
        fixes=(Fix(W.TARGET, "winrm quickconfig -transport:https", "an HTTPS listener, so Basic travels in TLS"),),
    ),
    Kind(
        "auth.no_challenge", "auth", R.ACCESS_DENIED, C.NOT_ENABLED,
        problem="No answer to the NTLM negotiation",
        message="The service did not answer the NTLM negotiation.",
        hint="Negotiate may be disabled on the service (`winrm get winrm/config/service/auth`), or a proxy "
        "strips the authentication headers.",
        detail="no NTLM challenge",
        fixes=(_SERVICE_AUTH,),
    ),
    Kind(
        "auth.unavailable", "auth", R.NOT_SUPPORTED, C.NOT_IMPLEMENTED,
        problem="{auth_label} not available on this PC",
        message="{auth_label} authentication is not available on this PC ({reason}).",
        hint="{install_hint}",
        detail="{auth_label} authentication is not available on this PC ({reason}).",
    ),
    Kind(
        "auth.bad_seal", "auth", R.FAILED, C.SECURITY_ERROR,
        problem="Encrypted answer does not open",
        message="The service's encrypted answer does not open with this session's key ({reason}).",
        hint="Something between this PC and {host} altered the answer, or answered for another session (a proxy or "
        "load balancer that mixes connections); an answer that cannot be opened cannot be trusted.",
        detail="encrypted answer does not open",
    ),
    Kind(
        "auth.local_error", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Authentication failed on this PC",
        message="Authentication failed on this PC: {reason}",
        hint="Check the user name format (DOMAIN\\user for NTLM, user@REALM for Kerberos), and that this PC's clock "
        "is within 5 minutes of the domain's.",
        detail="auth library error",
    ),
)  # fmt: skip
