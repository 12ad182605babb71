"""Failure kinds before any HTTP: bad input, the test's own end, name resolution, TCP and TLS."""

from __future__ import annotations

from core.failures import codes
from core.failures.kinds import Fix, Kind
from core.failures.kinds import Where as W
from core.mi import MIErrorCategory as C
from core.mi import MIResult as R

_CHECK_PORT = Fix(W.CLIENT, "Test-NetConnection {host} -Port {port}", "does the port answer from here?")
_LISTENERS = Fix(W.TARGET, "winrm enumerate winrm/config/listener", "which listeners exist, on which addresses")

KINDS = (
    # --- the test itself ------------------------------------------------------------------------------------
    Kind(
        "input.invalid", None, R.INVALID_PARAMETER, C.INVALID_ARGUMENT,
        problem="Invalid {field}",
        message="{field}: {reason}",
        hint="Correct the {field} and test again.",
        detail="{field}: {reason}",
    ),
    Kind(
        "input.protocol", None, R.NOT_SUPPORTED, C.NOT_IMPLEMENTED,
        problem="Protocol not supported",
        message="protocol {protocol!r} is not supported",
        hint="Use protocol='WINRM'.",
        detail="protocol {protocol!r} is not supported",
    ),
    Kind(
        "cancelled", None, R.FAILED, C.OPERATION_STOPPED,
        problem="Cancelled",
        message="The test was cancelled.",
        hint="Run the test again when ready.",
        detail="cancelled",
        windows_code=codes.ERROR_CANCELLED,
    ),
    Kind(
        "unexpected", None, R.FAILED, C.NOT_SPECIFIED,
        problem="Unexpected error",
        message="{error}",
        hint="An unexpected error; copy the details into a ticket.",
        detail="{error_type}",
    ),
    # --- dns ------------------------------------------------------------------------------------------------
    Kind(
        "dns.not_found", "dns", R.FAILED, C.CONNECTION_ERROR,
        problem="Name not found",
        message="The name {host} could not be resolved ({reason}).",
        hint="Check the spelling of the name and try its fully qualified form (e.g. srv01.corp.example); on VPN, "
        "check that the VPN's DNS is in use (nslookup {host}).",
        detail="name not found",
        fixes=(Fix(W.CLIENT, "Resolve-DnsName {host}", "what this PC's DNS says"),),
    ),
    Kind(
        "dns.timeout", "dns", R.FAILED, C.OPERATION_TIMEOUT,
        problem="DNS too slow",
        message="Resolving {host} took longer than {timeout}.",
        hint="The DNS server is slow or unreachable; check this PC's DNS settings (nslookup {host}) or connect by "
        "IP address.",
        detail="no answer in {timeout}",
        fixes=(Fix(W.CLIENT, "Resolve-DnsName {host}", "what this PC's DNS says"),),
    ),
    # --- tcp ------------------------------------------------------------------------------------------------
    Kind(
        "tcp.refused", "tcp", R.FAILED, C.CONNECTION_ERROR,
        problem="Port {port} closed — WinRM not listening",
        message="{host} refused the connection to port {port}.",
        hint="Nothing listens on port {port}: the WinRM service is stopped or has no listener there. On the "
        "target run `Enable-PSRemoting -Force` (or `winrm quickconfig`); port 5986 also needs an HTTPS "
        "listener (`winrm enumerate winrm/config/listener`).",
        detail="connection refused",
        windows_code=codes.ERROR_WSMAN_CANNOT_CONNECT,
        fixes=(
            Fix(W.TARGET, "Enable-PSRemoting -Force", "starts WinRM and creates the HTTP listener"),
            Fix(W.TARGET, "winrm quickconfig -transport:https", "creates the HTTPS listener (needs a certificate)"),
            _LISTENERS,
        ),
    ),
    Kind(
        "tcp.timeout", "tcp", R.FAILED, C.OPERATION_TIMEOUT,
        problem="No answer — firewall or host down",
        message="{host} did not answer the connection to port {port} within {timeout}.",
        hint="The host is down, or a firewall drops port {port}. Check that the host is up and that its "
        "firewall allows the port (Windows' rule for the Public profile admits only the local subnet).",
        detail="no answer in {timeout}",
        windows_code=codes.ERROR_WSMAN_TIMEOUT,
        fixes=(
            _CHECK_PORT,
            Fix(
                W.TARGET,
                'Enable-NetFirewallRule -Name "WINRM-HTTP-In-TCP","WINRM-HTTP-In-TCP-PUBLIC"',
                "opens Windows' own WinRM firewall rules",
            ),
        ),
    ),
    Kind(
        "tcp.filtered", "tcp", R.FAILED, C.OPERATION_TIMEOUT,
        problem="Port {port} filtered — host up ({answering})",
        message="{host} did not answer the connection to port {port}, but answers on other ports ({answering}).",
        hint="The host is up, but a firewall drops port {port}: WinRM's firewall rule is missing or disabled, or "
        "admits only the local subnet (Windows' rule for the Public profile). Allow port {port} in the target's "
        "firewall, and in any network firewall between this PC and the target.",
        detail="no answer; the host is up",
        windows_code=codes.ERROR_WSMAN_TIMEOUT,
        fixes=(
            Fix(W.TARGET, "Get-NetFirewallRule -Name WINRM* | Format-Table Name,Enabled,Profile",
                "which WinRM firewall rules exist and where they apply"),
            Fix(
                W.TARGET,
                'New-NetFirewallRule -DisplayName "WinRM {transport_upper} {port}" -Direction Inbound -Protocol TCP '
                "-LocalPort {port} -Action Allow",
                "lets the WinRM port in",
            ),
            _CHECK_PORT,
        ),
    ),
    Kind(
        "tcp.host_down", "tcp", R.FAILED, C.OPERATION_TIMEOUT,
        problem="Nothing answers — host off, asleep or wrong address",
        message="{host} answered neither on port {port} nor on {looked}.",
        hint="Nothing at this address answers: the machine is off or asleep, or {host} points at the wrong address "
        "(a stale DNS record, a DHCP lease that moved). Check that it is on and what its name resolves to; a "
        "firewall that drops everything looks the same.",
        detail="no answer; nothing answers",
        windows_code=codes.ERROR_WSMAN_TIMEOUT,
        fixes=(
            Fix(W.CLIENT, "Resolve-DnsName {host}", "which address the name points at"),
            Fix(W.CLIENT, "Test-NetConnection {host}", "does the host answer a ping?"),
        ),
    ),
    Kind(
        "tcp.no_route", "tcp", R.FAILED, C.CONNECTION_ERROR,
        problem="No route to the host",
        message="There is no route to {host} ({reason}).",
        hint="This PC cannot reach the host's network; check VPN and routing, or that the address is right.",
        detail="no route",
        fixes=(Fix(W.CLIENT, "Test-NetConnection {host} -TraceRoute", "where the path ends"),),
    ),
    # --- tls ------------------------------------------------------------------------------------------------
    Kind(
        "tls.wrong_name", "tls", R.FAILED, C.SECURITY_ERROR,
        problem="Certificate names another host",
        message="The certificate does not name {host} ({reason}).",
        hint="Connect by the name the certificate carries, or reissue the listener certificate with this name in "
        "its Subject Alternative Name.",
        detail="certificate names another host",
        windows_code=codes.ERROR_WINHTTP_SECURE_FAILURE,
        fixes=(_LISTENERS,),
    ),
    Kind(
        "tls.expired", "tls", R.FAILED, C.SECURITY_ERROR,
        problem="Certificate expired or not yet valid",
        message="The certificate is not valid now ({reason}).",
        hint="Renew the listener's certificate, and check this PC's clock.",
        detail="certificate expired",
        windows_code=codes.ERROR_WINHTTP_SECURE_FAILURE,
        fixes=(_LISTENERS, Fix(W.CLIENT, "w32tm /query /status", "is this PC's clock right?")),
    ),
    Kind(
        "tls.untrusted", "tls", R.FAILED, C.SECURITY_ERROR,
        problem="Certificate not trusted",
        message="The certificate is not trusted ({reason}).",
        hint="Trust the CA that issued the listener's certificate (give its file: --ca-file), or, knowing the "
        "risk, skip the CA check.",
        detail="certificate not trusted",
        windows_code=codes.ERROR_WINHTTP_SECURE_FAILURE,
    ),
    Kind(
        "tls.plain_text", "tls", R.FAILED, C.PROTOCOL_ERROR,
        problem="Port {port} speaks plain HTTP, not HTTPS",
        message="The port answered in plain text, not TLS.",
        hint="This port serves HTTP: use http for port {port}, or the HTTPS port (5986).",
        detail="not TLS",
    ),
    Kind(
        "tls.too_old", "tls", R.FAILED, C.SECURITY_ERROR,
        problem="No common TLS version",
        message="No common TLS version or cipher ({reason}).",
        hint="Enable TLS 1.2 or later on the target; TestConnection does not weaken its client by default.",
        detail="TLS too old",
    ),
    Kind(
        "tls.closed", "tls", R.FAILED, C.CONNECTION_ERROR,
        problem="Closed during the TLS handshake",
        message="The server closed the connection during the TLS handshake.",
        hint="Check that port {port} is an HTTPS listener; a firewall or IPS may also end TLS connections.",
        detail="closed during handshake",
        fixes=(_LISTENERS,),
    ),
    Kind(
        "tls.client_certificate", "tls", R.ACCESS_DENIED, C.SECURITY_ERROR,
        problem="Client certificate required",
        message="The service requires a client certificate ({reason}).",
        hint="The listener (or a TLS proxy in front of it) accepts only clients that present a certificate: use "
        "certificate authentication with a certificate it trusts, or ask why the listener demands one.",
        detail="client certificate required",
        windows_code=codes.ERROR_WINHTTP_SECURE_FAILURE,
    ),
    Kind(
        "tls.failed", "tls", R.FAILED, C.SECURITY_ERROR,
        problem="TLS handshake failed",
        message="The TLS handshake failed ({reason}).",
        hint="Check the listener's certificate and TLS settings.",
        detail="TLS failed",
    ),
    Kind(
        "tls.timeout", "tls", R.FAILED, C.OPERATION_TIMEOUT,
        problem="TLS handshake too slow",
        message="The TLS handshake did not finish within {timeout}.",
        hint="The port accepted the connection but does not speak TLS promptly; check that it is an HTTPS "
        "listener (5986) and that no middlebox holds the connection.",
        detail="no answer in {timeout}",
        windows_code=codes.ERROR_WSMAN_TIMEOUT,
    ),
)  # fmt: skip
