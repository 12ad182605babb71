"""Failure kinds of the service's answers: HTTP, WS-Management and its SOAP faults."""

from __future__ import annotations

from core.failures import codes
from core.failures.kinds import Fix, Kind
from core.failures.kinds import Where as W
from core.mi import MIErrorCategory as C
from core.mi import MIResult as R

_NOT_WSMAN_HINT = "This is not a WS-Management service, or a broken one; check the port and the URL prefix."
_LISTENERS = Fix(W.TARGET, "winrm enumerate winrm/config/listener", "which listeners exist, on which addresses")

KINDS = (
    # --- no answer, or not an answer ------------------------------------------------------------------------
    Kind(
        "http.timeout", "wsman", R.FAILED, C.OPERATION_TIMEOUT,
        problem="Answer too slow",
        message="The service did not answer completely within {timeout}.",
        hint="The host is overloaded, a middlebox holds the connection, or the timeout is too short; try again with "
        "a longer timeout.",
        detail="no answer in {timeout}",
        windows_code=codes.ERROR_WSMAN_TIMEOUT,
    ),
    Kind(
        "wsman.anonymous_silent", "wsman", R.FAILED, C.OPERATION_TIMEOUT,
        problem="No answer to the anonymous Identify",
        message="The service accepted the connection but did not answer the anonymous Identify within {timeout}.",
        hint="Some WS-Management services answer only requests that carry credentials (Microsoft OMI on Linux "
        "does): test again with credentials. Otherwise the host is overloaded or a middlebox holds the connection.",
        detail="no answer in {timeout}",
        windows_code=codes.ERROR_WSMAN_TIMEOUT,
    ),
    Kind(
        "http.silent", "auth", R.FAILED, C.OPERATION_TIMEOUT,
        problem="No answer, even with credentials",
        message="The service accepted the connection but answered neither the anonymous nor the authenticated "
        "Identify within {timeout}.",
        hint="The service is hung or overloaded, or a middlebox holds the connection; restart the WinRM service "
        "(`Restart-Service WinRM`) or check what sits between this PC and the target.",
        detail="no answer in {timeout}",
        windows_code=codes.ERROR_WSMAN_TIMEOUT,
    ),
    Kind(
        "http.closed", "wsman", R.FAILED, C.CONNECTION_ERROR,
        problem="Connection closed without an answer",
        message="The connection was closed without an answer.",
        hint="Check the scheme against the port: this test used {transport_upper} on {port}; the port may expect "
        "{other_transport}. Otherwise a firewall, IPS or load balancer ends the connection.",
        detail="connection reset",
        fixes=(_LISTENERS,),
    ),
    Kind(
        "http.not_http", "wsman", R.FAILED, C.PROTOCOL_ERROR,
        problem="Another service on port {port}",
        message="The port answered, but not in HTTP ({banner!r}).",
        hint="Another service owns this port; check the port number (WinRM uses 5985 for HTTP, 5986 for HTTPS).",
        detail="not HTTP",
    ),
    Kind(
        "http.broken", "wsman", R.FAILED, C.PROTOCOL_ERROR,
        problem="Broken HTTP answer",
        message="The answer is broken HTTP ({reason}).",
        hint="This is not a working WS-Management service; check the port and URL prefix.",
        detail="broken HTTP",
    ),
    Kind(
        "http.oversized", "wsman", R.FAILED, C.PROTOCOL_ERROR,
        problem="Answer far too large",
        message="The answer is larger than any WS-Management reply (over 1 MiB).",
        hint=_NOT_WSMAN_HINT,
        detail="answer too large",
    ),
    Kind(
        "wsman.not_wsman", "wsman", R.FAILED, C.PROTOCOL_ERROR,
        problem="Not a WS-Management answer",
        message="The answer is not a WS-Management IdentifyResponse: {reason}.",
        hint=_NOT_WSMAN_HINT,
        detail="not WS-Management",
    ),
    # --- HTTP statuses --------------------------------------------------------------------------------------
    Kind(
        "http.not_found", "wsman", R.FAILED, C.OBJECT_NOT_FOUND,
        problem="No WinRM at /{url_prefix} (HTTP 404)",
        message="HTTP 404: {server} has nothing at /{url_prefix}.",
        hint="No WinRM listener answers at /{url_prefix} on port {port}: another web server may own the port, the "
        "URL prefix may be wrong, or the listener is bound to another address "
        "(`winrm enumerate winrm/config/listener`).",
        detail="HTTP 404",
        windows_code=codes.ERROR_WSMAN_URL_NOT_FOUND,
        fixes=(_LISTENERS,),
    ),
    Kind(
        "http.proxy", "wsman", R.FAILED, C.CONNECTION_ERROR,
        problem="A proxy or gateway answered (HTTP {status})",
        message="HTTP {status}: a proxy or gateway answered instead of the target.",
        hint="Bypass the proxy for this host (TestConnection uses no proxy unless you set one), or ask who runs "
        "the gateway on the path.",
        detail="HTTP {status} (proxy)",
    ),
    Kind(
        "http.redirect", "wsman", R.FAILED, C.CONNECTION_ERROR,
        problem="Redirected to {location_host}",
        message="HTTP {status}: the answer redirects to {location}.",
        hint="A WinRM listener never redirects: a proxy, a captive portal or another web server answered instead. "
        "Open {location} in a browser to see who, then bypass it or use the listener's own address and port.",
        detail="HTTP {status} redirect",
    ),
    Kind(
        "http.bad_hostname", "wsman", R.FAILED, C.INVALID_ARGUMENT,
        problem="Host name {host} rejected by the service",
        message="HTTP 400 Invalid Hostname: {server} serves nothing for the name {host}.",
        hint="Windows' HTTP.sys matched no listener to the host name this test used: connect by a name or address "
        "the listener is bound to (often the computer's own name or FQDN), or check the listener's Hostname and "
        "Address (`winrm enumerate winrm/config/listener`).",
        detail="HTTP 400 invalid host name",
        fixes=(_LISTENERS,),
    ),
    Kind(
        "http.too_large", "wsman", R.FAILED, C.LIMITS_EXCEEDED,
        problem="Request refused as too large (HTTP 413)",
        message="HTTP 413: the service refused the {request_bytes}-byte request as too large.",
        hint="No WinRM limit is that small: a proxy, web application firewall or load balancer in between most "
        "likely refused it. Only if nothing is in between, check the service's MaxEnvelopeSizekb "
        "(`winrm get winrm/config`).",
        detail="HTTP 413",
    ),
    Kind(
        "http.unavailable", "wsman", R.SERVER_IS_SHUTTING_DOWN, C.RESOURCE_UNAVAILABLE,
        problem="Service unavailable (HTTP 503)",
        message="HTTP 503: the service is unavailable.",
        hint="The WinRM service is starting, stopping or overloaded; try again in a minute.",
        detail="HTTP 503",
        fixes=(Fix(W.TARGET, "Get-Service WinRM", "is it running?"),),
    ),
    Kind(
        "http.status", "wsman", R.FAILED, C.PROTOCOL_ERROR,
        problem="Unexpected HTTP {status}",
        message="Unexpected HTTP {status} from {server}.",
        hint=_NOT_WSMAN_HINT,
        detail="HTTP {status}",
    ),
    # --- SOAP faults ----------------------------------------------------------------------------------------
    Kind(
        "fault.access_denied", "auth", R.ACCESS_DENIED, C.ACCESS_DENIED,
        problem="Access denied — not allowed to use WinRM",
        message="{fault}",
        hint="The user was authenticated but may not use WinRM: add them to Administrators or Remote Management "
        "Users on the target, or check the listener's permissions (`winrm configSDDL default`).",
        detail="access denied (fault)",
        windows_code=codes.ERROR_ACCESS_DENIED,
        fixes=(
            Fix(W.TARGET, 'Add-LocalGroupMember -Group "Remote Management Users" -Member {user}'),
            Fix(W.TARGET, "winrm configSDDL default", "who may use the listener"),
        ),
    ),
    Kind(
        "fault.timed_out", "auth", R.FAILED, C.OPERATION_TIMEOUT,
        problem="The service timed out",
        message="{fault}",
        hint="The service answered but is too slow; try again, or check the load on the target.",
        detail="timed out (fault)",
        windows_code=codes.ERROR_WSMAN_OPERATION_TIMEDOUT,
    ),
    Kind(
        "fault.other", "auth", R.FAILED, C.NOT_SPECIFIED,
        problem="The service refused the request (fault {fault_code})",
        message="{fault}",
        hint="The service refused the request; look the WSManFault code up (`winrm helpmsg <code>` on Windows).",
        detail="fault {fault_name}",
        fixes=(Fix(W.TARGET, "winrm helpmsg {fault_code}", "Windows' own text for the code"),),
    ),
)  # fmt: skip
