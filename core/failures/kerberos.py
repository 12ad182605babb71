"""Failure kinds of Kerberos (alone, or inside Negotiate): the KDC's answers about the user and the service, the
listener's refusal of a ticket, the service's proof of identity, and this PC's tickets.

Codes are what a Windows client shows (SSPI's, winerror.h; NTSTATUS for the account's state, ntstatus.h): see
docs/diagnosis.md. ``{spn}``, ``{principal}``, ``{realm}`` … are filled in by the Kerberos schemes.
"""

from __future__ import annotations

from core.failures import codes
from core.failures.kinds import Fix, Kind
from core.failures.kinds import Where as W
from core.mi import MIErrorCategory as C
from core.mi import MIResult as R

_SRV = Fix(W.CLIENT, "nslookup -type=SRV _kerberos._tcp.{realm_lower}", "the realm's domain controllers, by DNS")
_DC = Fix(W.CLIENT, "nltest /dsgetdc:{realm}", "Windows: which domain controller this PC finds")
_USER = Fix(W.DOMAIN, "Get-ADUser {user_name} -Properties Enabled,LockedOut,PasswordExpired,AccountExpirationDate",
            "the account's state")
_SPN_OWNER = Fix(W.DOMAIN, "setspn -Q {spn}", "which account holds the service principal")
_RESYNC = Fix(W.TARGET, "w32tm /resync /force", "sets the server's clock from the domain's time")

KINDS = (
    Kind(
        "auth.no_authority", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="No domain controller reachable",
        message="No domain controller (KDC) for {realm} could be reached: {reason}",
        hint="This PC cannot reach a domain controller of {realm}: check the VPN, this PC's DNS servers and their "
        "SRV records for the realm, and that port 88 is open to the domain controllers. On Linux or macOS the realm "
        "must also be in krb5.conf (or found through DNS).",
        detail="no KDC for {realm}",
        windows_code=codes.SEC_E_NO_AUTHENTICATING_AUTHORITY,
        fixes=(_SRV, _DC),
    ),
    Kind(
        "auth.kdc_timeout", "auth", R.FAILED, C.OPERATION_TIMEOUT,
        problem="No answer from the domain controller",
        message="No domain controller (KDC) for {realm} answered within {timeout}.",
        hint="A firewall or a VPN that is down drops this PC's Kerberos packets to the domain controllers of {realm} "
        "(port 88), or DNS names ones that are gone.",
        detail="no answer from the KDC in {timeout}",
        windows_code=codes.SEC_E_NO_AUTHENTICATING_AUTHORITY,
        fixes=(_SRV, _DC),
    ),
    Kind(
        "auth.logon_denied", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Wrong password (the domain controller refused it)",
        message="The domain controller refused the password of {principal} ({krb_error}).",
        hint="Check the password (and Caps Lock). Every wrong try counts towards the account's lockout: after a few "
        "the domain locks it.",
        detail="wrong password ({krb_error})",
        windows_code=codes.SEC_E_LOGON_DENIED,
        fixes=(_USER, Fix(W.DOMAIN, "Get-ADUser {user_name} -Properties BadLogonCount,LastBadPasswordAttempt",
                          "how many wrong tries so far")),
    ),
    Kind(
        "auth.unknown_user", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="User unknown to the domain",
        message="The domain {realm} does not know {principal} ({krb_error}).",
        hint="Check the user name and its realm: Kerberos wants user@REALM, the realm being the domain's DNS name in "
        "capitals (alice@CORP.EXAMPLE.COM). A local account of the target is not in the domain: use NTLM for it.",
        detail="user unknown ({krb_error})",
        windows_code=codes.SEC_E_LOGON_DENIED,
        fixes=(Fix(W.DOMAIN, "Get-ADUser -Filter \"SamAccountName -eq '{user_name}'\" -Properties UserPrincipalName",
                   "the account and its user principal name"),),
    ),
    Kind(
        "auth.password_expired", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Password expired",
        message="The password of {principal} has expired ({krb_error}).",
        hint="Change the password (Ctrl+Alt+Del, Change a password; kpasswd on Linux), then test again.",
        detail="password expired ({krb_error})",
        windows_code=codes.STATUS_PASSWORD_EXPIRED,
        fixes=(Fix(W.CLIENT, "kpasswd {principal}", "Linux, macOS: change it"), _USER),
    ),
    Kind(
        "auth.account_revoked", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Account disabled, locked out or expired",
        message="The domain refuses {principal} any ticket: the account is disabled, locked out, expired, or outside "
        "its logon hours ({krb_error}).",
        hint="The KDC gives one answer for all four: look at the account in the domain, then enable or unlock it, "
        "extend its expiry, or widen its logon hours.",
        detail="account revoked ({krb_error})",
        windows_code=codes.STATUS_ACCOUNT_DISABLED,
        fixes=(_USER, Fix(W.DOMAIN, "Unlock-ADAccount {user_name}", "if it is locked out"),
               Fix(W.DOMAIN, "Enable-ADAccount {user_name}", "if it is disabled")),
    ),
    Kind(
        "auth.target_unknown", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="No service principal {spn}",
        message="The domain has no service principal {spn}, so no ticket can be had for it ({reason}).",
        hint="Connect by the computer's own DNS name, not an alias (CNAME) or an address: its account holds "
        "HTTP/<its name>. If {host} is its name, register the principal for the computer account. With "
        "-IncludePortInSPN the principal carries the port and must be registered so.",
        detail="no principal {spn}",
        windows_code=codes.SEC_E_TARGET_UNKNOWN,
        fixes=(_SPN_OWNER, Fix(W.DOMAIN, "setspn -S {spn} {host_short}", "registers it for that computer account"),
               Fix(W.DOMAIN, "setspn -L {host_short}", "the principals the computer account holds")),
    ),
    Kind(
        "auth.wrong_principal", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Service cannot read its ticket (wrong key for {spn})",
        message="The service refused the ticket for {spn}: it holds no key that opens it ({krb_error}).",
        hint="The domain sealed the ticket with the key of the account holding {spn}, and the service does not have "
        "it: the principal is registered to a second account (a duplicate SPN, or an IIS application pool account "
        "holding HTTP/{host}), or the computer's password changed and its keys are out of step. List duplicates, "
        "move an IIS principal away (or use -IncludePortInSPN), or repair the computer account's secure channel.",
        detail="service cannot read the ticket ({krb_error})",
        windows_code=codes.SEC_E_WRONG_PRINCIPAL,
        fixes=(Fix(W.DOMAIN, "setspn -X", "duplicate service principals"), _SPN_OWNER,
               Fix(W.TARGET, "Test-ComputerSecureChannel -Repair", "resets the computer account's password and keys"),
               Fix(W.CLIENT, "klist purge", "drops a ticket cached with the old keys")),
    ),
    Kind(
        "auth.time_skew", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Clocks more than 5 minutes apart",
        message="The service refused the ticket for the time ({krb_error}). {clock_story}",
        hint="Kerberos refuses when the clocks of this PC, the domain controller and the server differ by more than "
        "5 minutes: set the clock that is off from the domain's time (on Windows: w32tm /resync), and find out why "
        "its time service drifted.",
        detail="clock skew ({krb_error})",
        windows_code=codes.SEC_E_TIME_SKEW,
        fixes=(_RESYNC, Fix(W.TARGET, "w32tm /query /status", "where the server takes its time from"),
               Fix(W.CLIENT, "w32tm /stripchart /computer:{host} /samples:3 /dataonly", "this PC against the server")),
    ),
    Kind(
        "auth.ticket_refused", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Service refused the Kerberos ticket",
        message="The service refused the ticket for {spn} ({krb_error}: {reason}).",
        hint="Over HTTPS, a device that opens TLS on the way (an inspecting proxy) breaks the channel binding the "
        "service checks (Extended Protection): connect without it, or over HTTP. Otherwise the service's event log "
        "(Microsoft-Windows-WinRM/Operational, and System for Kerberos) names the reason.",
        detail="ticket refused ({krb_error})",
        fixes=(Fix(W.TARGET, "Get-WinEvent -LogName Microsoft-Windows-WinRM/Operational -MaxEvents 20",
                   "the service's own account of it"),),
    ),
    Kind(
        "auth.mutual_failed", "auth", R.ACCESS_DENIED, C.SECURITY_ERROR,
        problem="The service did not prove its identity",
        message="The answer did not come from the service the ticket was for: {reason}.",
        hint="Kerberos lets the service prove itself with the ticket's session key; this answer could not have come "
        "from {spn}. Something between this PC and {host} answers in its place (a proxy, a load balancer, a name "
        "that resolves to the wrong machine): check where {host} resolves and what is in between.",
        detail="mutual authentication failed",
        windows_code=codes.SEC_E_MUTUAL_AUTH_FAILED,
        fixes=(Fix(W.CLIENT, "Resolve-DnsName {host}", "where the name leads"),),
    ),
    Kind(
        "auth.no_credentials", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="No Kerberos ticket (not logged on to the domain)",
        message="There is no Kerberos ticket to test as the current user with ({reason}).",
        hint="A test as the current user needs a ticket from the domain: on Windows, log on with a domain account; "
        "on Linux or macOS, get one with kinit (and again once it expires). Or test with a user and password.",
        detail="no ticket",
        windows_code=codes.SEC_E_NO_CREDENTIALS,
        fixes=(Fix(W.CLIENT, "{kinit}", "Linux, macOS: log on to the realm"),
               Fix(W.CLIENT, "klist", "the tickets this PC holds")),
    ),
    Kind(
        "auth.kerberos_to_address", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Kerberos to an IP address",
        message="Kerberos cannot be used with an IP address ({host}): no service principal names an address. Nothing "
        "was sent; Windows' client refuses this the same way.",
        hint="Test by the computer's DNS name. With the address, use Negotiate with a user and password (NTLM), over "
        "HTTPS or with the address in this PC's TrustedHosts.",
        detail="Kerberos to an address refused",
        fixes=(Fix(W.CLIENT, "Resolve-DnsName {host}", "the name behind the address"),
               Fix(W.CLIENT, "Set-Item WSMan:\\localhost\\Client\\TrustedHosts -Value {host} -Concatenate",
                   "only for NTLM over HTTP")),
    ),
    Kind(
        "auth.kerberos_user", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Kerberos needs the user as user@REALM",
        message="Kerberos cannot tell the realm of {user}: a NetBIOS domain name is not a realm. Nothing was sent.",
        hint="Write the user as {user_name}@<the domain's DNS name, in capitals>, e.g. {user_name}@CORP.EXAMPLE.COM.",
        detail="user name needs a realm",
    ),
    Kind(
        "auth.kerberos_failed", "auth", R.ACCESS_DENIED, C.AUTHENTICATION_ERROR,
        problem="Kerberos failed on this PC",
        message="Kerberos failed on this PC ({krb_error}): {reason}",
        hint="Check this PC's Kerberos setup (krb5.conf, its realm and clock), and the user name as user@REALM.",
        detail="Kerberos error ({krb_error})",
    ),
)  # fmt: skip
