"""The lab, exercised through real sockets and real clients (requests, http.client, ssl, pywinrm)."""

from __future__ import annotations

import base64
import dataclasses
import http.client
import os
import socket
import ssl
import threading
import time
from typing import Any

import defusedxml.ElementTree as SafeET
import pytest
import requests
from defusedxml import EntitiesForbidden
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WSManFaultError
from winrm.protocol import Protocol

from core.lab import DEFAULT_USERS, SCENARIOS, Lab, LabEndpoint
from core.stages import STAGE_NAMES

IDENTIFY = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
    "<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"
)
SOAP = "{http://www.w3.org/2003/05/soap-envelope}"
WSMID = "{http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd}"
SOAP_HEADERS = {"Content-Type": "application/soap+xml;charset=UTF-8"}
UNAUTH = {**SOAP_HEADERS, "WSMANIDENTIFY": "unauthenticated"}
PASSWORD = DEFAULT_USERS["alice"]
EXPECTED_ORDER = [
    "winrm-http", "winrm-https", "wrong-password", "basic-not-offered", "credssp-not-offered", "credssp",
    "access-denied", "timeout-fault", "refused", "blackhole", "host-down", "silent", "reset", "not-http", "iis-404",
    "invalid-hostname", "captive-portal", "waf-413", "proxy-407", "bad-gateway", "tls-untrusted",
    "tls-wrong-name", "tls-expired", "tls-client-certificate", "http-on-https-port", "trickle", "oversized",
    "xml-bomb", "omi", "omi-basic", "omi-basic-http", "omi-wrong-password", "openwsman", "openwsman-basic",
    "openwsman-basic-http", "openwsman-wrong-password", "win2008r2", "session-cmd", "session-powershell",
    "session-denied", "session-uac", "session-quota", "session-no-endpoint", "session-shells-off", "omi-session",
    "openwsman-session",
]
STAGES = {None, *STAGE_NAMES}


def post(
    lab: Lab, name: str, headers: dict[str, str] = UNAUTH, data: str = IDENTIFY, **kw: object
) -> requests.Response:
    return requests.post(lab.url(name), data=data, headers=headers, timeout=5, **kw)  # type: ignore[arg-type]


def raw_request(body: bytes = IDENTIFY.encode()) -> bytes:
    return (
        b"POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
        b"WSMANIDENTIFY: unauthenticated\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def identify_fields(xml: bytes) -> dict[str, str]:
    root = SafeET.fromstring(xml)
    response = root.find(f"{SOAP}Body/{WSMID}IdentifyResponse")
    if response is None:
        response = root.find(f"{SOAP}Body/{SOAP}IdentifyResponse")
    assert response is not None
    return {child.tag.split("}")[1]: (child.text or "") for child in response}


def protocol(lab: Lab, name: str, transport: Any, password: str = PASSWORD, **kw: Any) -> Protocol:
    # An explicit CA path (unused over http) keeps pywinrm from falling back to REQUESTS_CA_BUNDLE, which it
    # warns about as deprecated.
    kw.setdefault("ca_trust_path", lab.ca_file)
    return Protocol(lab.url(name), transport=transport, username="alice", password=password,
                          read_timeout_sec=5, operation_timeout_sec=4, **kw)


def tls_error(lab: Lab, name: str, hostname: str = "127.0.0.1") -> ssl.SSLError:
    context = ssl.create_default_context(cafile=lab.ca_file)
    address = ("127.0.0.1", lab.endpoint(name).port)
    with socket.create_connection(address, timeout=2) as sock, pytest.raises(ssl.SSLError) as caught:
        context.wrap_socket(sock, server_hostname=hostname)
    return caught.value


# ---- API and lifecycle ----------------------------------------------------------------------------------


def test_api_describes_every_scenario_on_loopback(lab: Lab) -> None:
    assert list(SCENARIOS) == EXPECTED_ORDER
    assert [e.name for e in lab.endpoints] == EXPECTED_ORDER
    for e in lab.endpoints:
        assert e.url == lab.url(e.name) == f"{e.transport}://127.0.0.1:{e.port}/wsman"
        assert e.host == "127.0.0.1"
        assert e.expect_ok == (e.expect_stage is None) == (e.expect_result == "MI_RESULT_OK")
        assert e.expect_stage in STAGES and e.auth in {"none", "basic", "ntlm", "negotiate", "credssp"}
        assert (e.username is None) == (e.auth == "none")
    assert lab.endpoint("wrong-password").password != PASSWORD
    assert lab.endpoint("winrm-http").password == PASSWORD
    with pytest.raises(KeyError):
        lab.endpoint("no-such")
    with pytest.raises(dataclasses.FrozenInstanceError):
        lab.endpoint("omi").port = 1  # type: ignore[misc]
    assert isinstance(lab.endpoint("omi"), LabEndpoint)
    assert lab.users == DEFAULT_USERS
    with open(lab.ca_file) as ca:
        assert ca.read().startswith("-----BEGIN CERTIFICATE-----")


def test_start_is_fast_and_stop_leaves_nothing(lab: Lab) -> None:
    threads = set(threading.enumerate())
    started = time.monotonic()
    fresh = Lab(users={"bob": "b0b"})
    fresh.start()
    assert time.monotonic() - started < 1.0
    ports = [e.port for e in fresh.endpoints]
    ca_file = fresh.ca_file
    assert post(fresh, "winrm-http").status_code == 200
    fresh.stop()
    assert set(threading.enumerate()) == threads
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert not os.path.exists(ca_file)
    fresh.stop()  # twice is harmless


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        Lab(scenarios=["nope"])


# ---- the healthy Windows listener -------------------------------------------------------------------------


def test_unauthenticated_identify_is_windows_shaped(lab: Lab) -> None:
    r = post(lab, "winrm-http", headers={**SOAP_HEADERS, "wsmanidentify": "unauthenticated"})
    assert r.status_code == 200
    assert r.headers["Server"] == "Microsoft-HTTPAPI/2.0"
    assert r.headers["Content-Type"].startswith("application/soap+xml")
    assert r.text.startswith('<s:Envelope xml:lang="en-US" xmlns:s=')
    assert '<wsmid:IdentifyResponse xmlns:wsmid="' in r.text
    fields = identify_fields(r.content)
    assert fields["ProductVersion"] == "OS: 0.0.0 SP: 0.0 Stack: 3.0"
    assert fields["ProductVendor"] == "Microsoft Corporation"
    assert "SecurityProfiles" not in fields


def test_without_credentials_the_listener_lists_its_schemes(lab: Lab) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", lab.endpoint("winrm-http").port, timeout=5)
    conn.request("POST", "/wsman", IDENTIFY, SOAP_HEADERS)
    response = conn.getresponse()
    response.read()
    assert response.status == 401
    assert response.msg.get_all("WWW-Authenticate") == ["Negotiate", 'Basic realm="WSMAN"']
    conn.close()


def test_ntlm_with_message_encryption_through_pywinrm(lab: Lab) -> None:
    p = protocol(lab, "winrm-http", "ntlm", message_encryption="always")
    fields = identify_fields(p.send_message(IDENTIFY))
    assert fields["ProductVersion"] == "OS: 10.0.20348 SP: 0.0 Stack: 3.0"
    assert "spnego-kerberos" in p.send_message(IDENTIFY).decode()


def test_unencrypted_ntlm_over_http_is_refused(lab: Lab) -> None:
    with pytest.raises(InvalidCredentialsError):
        protocol(lab, "winrm-http", "ntlm", message_encryption="never").send_message(IDENTIFY)


def test_basic_through_pywinrm_over_http_and_https(lab: Lab) -> None:
    xml = protocol(lab, "winrm-http", "basic").send_message(IDENTIFY)
    assert identify_fields(xml)["ProductVersion"].startswith("OS: 10.0.20348")
    xml = protocol(lab, "winrm-https", "ssl", ca_trust_path=lab.ca_file).send_message(IDENTIFY)
    assert identify_fields(xml)["ProductVersion"].startswith("OS: 10.0.20348")


def test_ntlm_over_https_without_encryption_layer(lab: Lab) -> None:
    xml = protocol(lab, "winrm-https", "ntlm", ca_trust_path=lab.ca_file).send_message(IDENTIFY)
    assert identify_fields(xml)["ProductVersion"].startswith("OS: 10.0.20348")


def test_https_certificate_names_ip_and_localhost(lab: Lab) -> None:
    context = ssl.create_default_context(cafile=lab.ca_file)
    for hostname in ("127.0.0.1", "localhost"):
        sock = socket.create_connection(("127.0.0.1", lab.endpoint("winrm-https").port), timeout=2)
        with context.wrap_socket(sock, server_hostname=hostname) as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_request_limits_and_other_actions(lab: Lab) -> None:
    assert post(lab, "winrm-http", data="x" * (1024 * 1024 + 1)).status_code == 413
    other = IDENTIFY.replace("wsmid:Identify/", "wsmid:Other/")
    r = post(lab, "winrm-http", headers=SOAP_HEADERS, data=other, auth=("alice", PASSWORD))
    assert r.status_code == 500 and "w:ActionNotSupported" in r.text
    assert post(lab, "winrm-http", data="<not xml").status_code == 500
    assert requests.get(lab.url("winrm-http").replace("/wsman", "/other"), timeout=5).status_code == 404


# ---- authentication failures ------------------------------------------------------------------------------


def test_wrong_password(lab: Lab) -> None:
    e = lab.endpoint("wrong-password")
    with pytest.raises(InvalidCredentialsError):
        p = protocol(lab, e.name, "ntlm", password=e.password or "", message_encryption="always")
        p.send_message(IDENTIFY)
    r = post(lab, e.name, headers=SOAP_HEADERS, auth=("alice", "wrong"))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Negotiate, Basic realm="WSMAN"'


def test_basic_not_offered(lab: Lab) -> None:
    r = post(lab, "basic-not-offered", headers=SOAP_HEADERS, auth=("alice", PASSWORD))
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Negotiate, Kerberos"
    xml = protocol(lab, "basic-not-offered", "ntlm", message_encryption="always").send_message(IDENTIFY)
    assert identify_fields(xml)["ProductVendor"] == "Microsoft Corporation"


def test_access_denied_fault(lab: Lab) -> None:
    with pytest.raises(WSManFaultError) as caught:
        protocol(lab, "access-denied", "ntlm", message_encryption="always").send_message(IDENTIFY)
    assert caught.value.fault_subcode == "w:AccessDenied" and caught.value.wsman_fault_code == 5
    r = post(lab, "access-denied", headers=SOAP_HEADERS, auth=("alice", PASSWORD))
    assert r.status_code == 500
    assert "<s:Value>s:Sender</s:Value>" in r.text and "Access is denied." in r.text


def test_timeout_fault(lab: Lab) -> None:
    with pytest.raises(WinRMOperationTimeoutError):
        protocol(lab, "timeout-fault", "ntlm", message_encryption="always").send_message(IDENTIFY)
    r = post(lab, "timeout-fault", headers=SOAP_HEADERS, auth=("alice", PASSWORD))
    assert r.status_code == 500 and "w:TimedOut" in r.text and 'Code="2150858793"' in r.text


def test_ntlm_users_belong_to_their_own_lab(lab: Lab) -> None:
    with Lab(scenarios=["winrm-http"], users={"bob": "B0b-pass"}) as other:
        with pytest.raises(InvalidCredentialsError):
            protocol(other, "winrm-http", "ntlm", message_encryption="always").send_message(IDENTIFY)
        p = Protocol(other.url("winrm-http"), transport="ntlm", username="bob", password="B0b-pass",
                           message_encryption="always", ca_trust_path=other.ca_file)
        assert identify_fields(p.send_message(IDENTIFY))["ProductVendor"] == "Microsoft Corporation"
    # The first lab still authenticates after the second one removed its users.
    protocol(lab, "winrm-http", "ntlm", message_encryption="always").send_message(IDENTIFY)


# ---- network failures -------------------------------------------------------------------------------------


def test_refused(lab: Lab) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", lab.endpoint("refused").port), timeout=1)


def test_blackhole_connect_times_out(lab: Lab) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        socket.create_connection(("127.0.0.1", lab.endpoint("blackhole").port), timeout=0.5)
    assert time.monotonic() - started >= 0.45


def test_host_down_is_silent_on_its_port_and_on_the_ports_to_look_at(lab: Lab) -> None:
    endpoint = lab.endpoint("host-down")
    assert len(endpoint.look_ports) == 2 and lab.endpoint("blackhole").look_ports == ()
    for port in (endpoint.port, *endpoint.look_ports):
        with pytest.raises(TimeoutError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2)


def test_silent_never_answers(lab: Lab) -> None:
    with socket.create_connection(("127.0.0.1", lab.endpoint("silent").port), timeout=0.5) as sock:
        sock.sendall(raw_request())
        with pytest.raises(TimeoutError):
            sock.recv(1)


def test_reset_sends_rst(lab: Lab) -> None:
    with socket.create_connection(("127.0.0.1", lab.endpoint("reset").port), timeout=2) as sock:
        sock.sendall(raw_request())
        with pytest.raises(ConnectionResetError):
            sock.recv(1)
            sock.recv(1)  # if the first recv returned before the RST arrived


def test_not_http_sends_ssh_banner(lab: Lab) -> None:
    with socket.create_connection(("127.0.0.1", lab.endpoint("not-http").port), timeout=2) as sock:
        assert sock.recv(100) == b"SSH-2.0-OpenSSH_9.6\r\n"


# ---- web servers that are not WinRM ------------------------------------------------------------------------


def test_iis_404(lab: Lab) -> None:
    r = post(lab, "iis-404")
    assert r.status_code == 404 and r.headers["Server"] == "Microsoft-IIS/10.0"
    assert r.headers["Content-Type"].startswith("text/html") and "<html" in r.text


def test_proxy_407(lab: Lab) -> None:
    r = post(lab, "proxy-407")
    assert r.status_code == 407 and r.headers["Proxy-Authenticate"] == 'Basic realm="proxy"'


def test_bad_gateway(lab: Lab) -> None:
    assert post(lab, "bad-gateway").status_code == 502


# ---- TLS --------------------------------------------------------------------------------------------------


def test_tls_untrusted(lab: Lab) -> None:
    error = tls_error(lab, "tls-untrusted")
    assert isinstance(error, ssl.SSLCertVerificationError) and error.verify_code == 18  # self-signed


def test_tls_wrong_name(lab: Lab) -> None:
    for hostname, code in (("127.0.0.1", 64), ("localhost", 62)):  # IP / hostname mismatch
        error = tls_error(lab, "tls-wrong-name", hostname)
        assert isinstance(error, ssl.SSLCertVerificationError) and error.verify_code == code


def test_tls_expired(lab: Lab) -> None:
    error = tls_error(lab, "tls-expired")
    assert isinstance(error, ssl.SSLCertVerificationError) and error.verify_code == 10  # expired


def test_http_on_https_port(lab: Lab) -> None:
    assert lab.url("http-on-https-port").startswith("https://")
    assert tls_error(lab, "http-on-https-port").reason == "WRONG_VERSION_NUMBER"
    with pytest.raises(requests.exceptions.SSLError):
        post(lab, "http-on-https-port", verify=lab.ca_file)


# ---- broken answers ---------------------------------------------------------------------------------------


def test_trickle_is_one_byte_a_quarter_second(lab: Lab) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", lab.endpoint("trickle").port, timeout=2)
    conn.request("POST", "/wsman", IDENTIFY, UNAUTH)
    response = conn.getresponse()
    assert response.status == 200
    started = time.monotonic()
    assert response.read(5) == b"<s:En"
    assert 0.9 <= time.monotonic() - started < 2.0  # 4 gaps of 0.25 s
    conn.close()


def test_oversized_announces_64_mib(lab: Lab) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", lab.endpoint("oversized").port, timeout=5)
    conn.request("POST", "/wsman", IDENTIFY, UNAUTH)
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("application/soap+xml")
    assert int(response.getheader("Content-Length", "0")) == 64 * 1024 * 1024
    start = response.read(1024 * 1024)
    assert len(start) == 1024 * 1024 and start.startswith(b"<s:Envelope")
    conn.close()  # the server notices and stops streaming


def test_xml_bomb_is_refused_by_a_safe_parser(lab: Lab) -> None:
    r = post(lab, "xml-bomb")
    assert r.status_code == 200 and "<!DOCTYPE" in r.text and "<!ENTITY lol9" in r.text
    with pytest.raises(EntitiesForbidden):
        SafeET.fromstring(r.content)


# ---- other WS-Management servers --------------------------------------------------------------------------


def test_omi_shape(lab: Lab) -> None:
    # OMI answers nothing that does not authenticate, whatever WSMANIDENTIFY says: the connection stays silent.
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(lab.url("omi"), data=IDENTIFY, headers=UNAUTH, timeout=0.5)
    r = requests.post(
        lab.url("omi-basic"), data=IDENTIFY, headers=SOAP_HEADERS, auth=("alice", PASSWORD), verify=lab.ca_file,
        timeout=5,
    )
    assert r.status_code == 200 and "Server" not in r.headers
    body = SafeET.fromstring(r.content).find(f"{SOAP}Body")
    assert body is not None and body.find(f"{SOAP}IdentifyResponse") is not None
    fields = identify_fields(r.content)
    assert (fields["ProductVendor"], fields["ProductVersion"]) == ("Open Management Infrastructure", "1.9.1-0")
    assert "Capability_FaultIncludesCIMError" in fields
    wrong = requests.post(lab.url("omi-basic"), data=IDENTIFY, headers=SOAP_HEADERS, auth=("alice", "nope"),
                          verify=lab.ca_file, timeout=5)
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"] == 'Basic realm="WSMAN", Negotiate, Kerberos'


def test_openwsman_shape(lab: Lab) -> None:
    r = post(lab, "openwsman")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Basic realm="OPENWSMAN"'
    assert "close" not in r.headers.get("Connection", "").lower()
    r = requests.post(lab.url("openwsman-basic-http"), data=IDENTIFY, headers=SOAP_HEADERS,
                      auth=("alice", PASSWORD), timeout=5)
    assert r.status_code == 200 and r.reason == "(null)" and r.headers["Connection"] == "Close"
    assert r.headers["Server"] == "openwsman/2.8"
    assert "<s:" not in r.text and "SOAP-ENV:Envelope" in r.text
    fields = identify_fields(r.content)
    assert (fields["ProductVendor"], fields["ProductVersion"]) == ("Openwsman Project", "2.8")


def test_openwsman_resets_the_next_request_on_a_connection_its_401_left_open(lab: Lab) -> None:
    endpoint = lab.endpoint("openwsman")
    with socket.create_connection((endpoint.host, endpoint.port), timeout=5) as sock:
        sock.sendall(raw_request())
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 401") and b"Connection: close" not in first
        sock.sendall(raw_request())
        with pytest.raises(ConnectionResetError):
            sock.recv(65536)


def test_win2008r2_shape(lab: Lab) -> None:
    r = post(lab, "win2008r2")
    assert r.status_code == 200
    assert identify_fields(r.content)["ProductVersion"] == "OS: 0.0.0 SP: 0.0 Stack: 2.0"
    assert post(lab, "win2008r2", headers=SOAP_HEADERS).status_code == 401


# ---- latency and load -------------------------------------------------------------------------------------


def test_latency_and_hundreds_of_concurrent_connections() -> None:
    with Lab(scenarios=["winrm-http"], latency=0.3) as slow:
        port = slow.endpoint("winrm-http").port
        started = time.monotonic()
        socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(300)]
        try:
            for sock in socks:
                sock.sendall(raw_request())
            for sock in socks:
                assert sock.recv(12) == b"HTTP/1.1 200"
        finally:
            for sock in socks:
                sock.close()
        elapsed = time.monotonic() - started
        assert 0.3 <= elapsed < 2.5  # served together, not one after another


def test_ntlm_handshake_raw_tokens(lab: Lab) -> None:
    """The 401 carries the challenge in `WWW-Authenticate: Negotiate <base64>` on the same connection."""
    import spnego

    client = spnego.client("alice", PASSWORD, protocol="ntlm")
    conn = http.client.HTTPConnection("127.0.0.1", lab.endpoint("winrm-http").port, timeout=5)
    token = base64.b64encode(client.step() or b"").decode()
    conn.request("POST", "/wsman", b"", {"Authorization": f"Negotiate {token}"})
    response = conn.getresponse()
    response.read()
    assert response.status == 401
    scheme, challenge = (response.getheader("WWW-Authenticate") or "").split(" ")
    assert scheme == "Negotiate"
    token = base64.b64encode(client.step(base64.b64decode(challenge)) or b"").decode()
    conn.request("POST", "/wsman", b"", {"Authorization": f"Negotiate {token}"})
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b""
    conn.close()


def test_stop_ends_busy_connections_promptly() -> None:
    busy = ["silent", "trickle", "oversized", "not-http", "winrm-https", "blackhole"]
    threads = set(threading.enumerate())
    with Lab(scenarios=busy) as running:
        ports = [running.endpoint(n).port for n in busy[:5]]
        socks = [socket.create_connection(("127.0.0.1", port), timeout=2) for port in ports]
        for sock in socks[:3]:
            sock.sendall(raw_request())
        time.sleep(0.3)  # the trickle and the 64 MiB stream are under way; the TLS handshake is pending
        started = time.monotonic()
    assert time.monotonic() - started < 2.0
    assert set(threading.enumerate()) == threads
    for sock in socks:
        sock.close()


@pytest.mark.parametrize("username", ["alice", "ALICE", ".\\alice", "LAB\\alice"])
def test_ntlm_accepts_local_account_spellings(lab: Lab, username: str) -> None:
    p = Protocol(lab.url("winrm-http"), transport="ntlm", username=username, password=PASSWORD,
                 message_encryption="always", ca_trust_path=lab.ca_file)
    assert identify_fields(p.send_message(IDENTIFY))["ProductVendor"] == "Microsoft Corporation"
