"""Windows' own client rules: where this test succeeds but PowerShell on a Windows PC would refuse to connect.

WinRM's client sends credentials over plain HTTP only with Kerberos, which proves the server's identity. Anything
else over HTTP — NTLM, chosen or as Negotiate's fallback (always so for an IP address), Basic, CredSSP — it refuses
unless the target is in its TrustedHosts list: "If the authentication scheme is different from Kerberos, or if the
client computer is not joined to a domain, then HTTPS transport must be used or the destination machine must be
added to the TrustedHosts configuration setting." Basic over HTTP also needs the client's AllowUnencrypted, which is
off by default. That refusal is the next error a helpdesk meets, so a passing test says so, with what to set.
"""

from __future__ import annotations

from core.mi import DestinationOptions
from core.target import Endpoint

TRUSTED_HOSTS = "Set-Item WSMan:\\localhost\\Client\\TrustedHosts -Value '{host}' -Concatenate"
ALLOW_UNENCRYPTED = "Set-Item WSMan:\\localhost\\Client\\AllowUnencrypted $true"
_NAMES = {"ntlm": "NTLM", "credssp": "CredSSP", "negotiate": "Negotiate"}


def windows_client_notes(endpoint: Endpoint, options: DestinationOptions, mechanism: str) -> tuple[str, ...]:
    """Notes for a test that authenticated with ``mechanism`` ("kerberos", "ntlm", "basic" …) and passed."""
    if endpoint.transport != "http" or mechanism in ("kerberos", "none", "certificate", ""):
        return ()
    host = endpoint.host
    trusted = TRUSTED_HOSTS.format(host=host)
    if mechanism == "basic":
        return (
            f"Windows' own client refuses Basic over HTTP unless its AllowUnencrypted is on and {host} is in its "
            f"TrustedHosts (or HTTPS is used): {ALLOW_UNENCRYPTED}; {trusted}",
        )
    name, chosen = _NAMES.get(mechanism, mechanism), _NAMES.get(options.auth.value, options.auth.value)
    why = name if options.auth.value == mechanism else f"{chosen} with {name}"
    if endpoint.is_ip:
        why += f" to an IP address ({host})"
    return (f"Windows' own client refuses {why} over HTTP unless {host} is in its TrustedHosts (or HTTPS is used): "
            f"{trusted}",)


__all__ = ["windows_client_notes"]
