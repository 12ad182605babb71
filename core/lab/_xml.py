"""The XML the lab sends, and the parsing of what it receives."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_WSMID = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_WSMANFAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_POWERSHELL = "http://schemas.microsoft.com/powershell"

SECPROFILE = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile"
WINDOWS_PROFILES = (f"{SECPROFILE}/http/spnego-kerberos", f"{SECPROFILE}/http/basic")

IDENTIFY_REQUEST = (
    f'<s:Envelope xmlns:s="{NS_SOAP}" xmlns:wsmid="{NS_WSMID}">'
    "<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"
)


def windows_identify(product_version: str, profiles: tuple[str, ...] = (), lang: bool = True) -> bytes:
    """Windows' shape: `xml:lang` on the Envelope, `wsmid` declared on IdentifyResponse (docs/protocol.md §5).

    Without `lang` it is exactly the Server 2008 R2 / 2012 R2 samples of chef/knife-windows
    spec/unit/knife/wsman_test_spec.rb (Apache-2.0).
    """
    names = "".join(f"<wsmid:SecurityProfileName>{p}</wsmid:SecurityProfileName>" for p in profiles)
    security = f"<wsmid:SecurityProfiles>{names}</wsmid:SecurityProfiles>" if profiles else ""
    lang_attr = ' xml:lang="en-US"' if lang else ""
    return (
        f'<s:Envelope{lang_attr} xmlns:s="{NS_SOAP}"><s:Header/><s:Body>'
        f'<wsmid:IdentifyResponse xmlns:wsmid="{NS_WSMID}">'
        f"<wsmid:ProtocolVersion>{NS_WSMAN}</wsmid:ProtocolVersion>"
        "<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>"
        f"<wsmid:ProductVersion>{product_version}</wsmid:ProductVersion>{security}"
        "</wsmid:IdentifyResponse></s:Body></s:Envelope>"
    ).encode()


# OMI's answer, after the literal in microsoft/omi Unix/wsman/wsman.c (_SendIdentifyResponse, MIT), with the vendor
# and version a real OMI 1.9.1 sends: IdentifyResponse in the SOAP namespace, the cimbinding namespace spelt ".xml".
OMI_IDENTIFY = (
    f'<soap:Envelope xmlns:soap="{NS_SOAP}" xmlns:wsmid="{NS_WSMID}">\n<soap:Header/>\n<soap:Body>\n'
    "<soap:IdentifyResponse>\n"
    f"<wsmid:ProtocolVersion>{NS_WSMAN}</wsmid:ProtocolVersion>\n"
    "<wsmid:ProductVendor>Open Management Infrastructure</wsmid:ProductVendor>\n"
    "<wsmid:ProductVersion>1.9.1-0</wsmid:ProductVersion>\n"
    "<wsmid:SecurityProfiles>\n<wsmid:SecurityProfileName>"
    f"{SECPROFILE}/https/basic</wsmid:SecurityProfileName>\n</wsmid:SecurityProfiles>\n"
    "<wsmb:Capability_FaultIncludesCIMError "
    'xmlns:wsmb="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xml"/>\n'
    "</soap:IdentifyResponse>\n</soap:Body>\n</soap:Envelope>\n"
).encode()

# openwsman 2.8.1's vendor and version; the prefixes are deliberately not Windows' so that a client which matches on
# prefixes instead of namespaces fails here.
OPENWSMAN_IDENTIFY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{NS_SOAP}" xmlns:wsmid="{NS_WSMID}" '
    'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">'
    "<SOAP-ENV:Header/><SOAP-ENV:Body><wsmid:IdentifyResponse>"
    f"<wsmid:ProtocolVersion>{NS_WSMAN}</wsmid:ProtocolVersion>"
    "<wsmid:ProductVendor>Openwsman Project</wsmid:ProductVendor>"
    "<wsmid:ProductVersion>2.8</wsmid:ProductVersion>"
    "</wsmid:IdentifyResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"
).encode()


def fault(code: str, subcode: str, reason: str, wsman_code: int, message: str | None = None) -> bytes:
    """A WinRM SOAP fault, shaped like the Server 2022 sample in pywinrm's winrm/tests/test_exceptions.py."""
    return (
        f'<s:Envelope xml:lang="en-US" xmlns:s="{NS_SOAP}" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
        f'xmlns:w="{NS_WSMAN}"><s:Header>'
        "<a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>"
        "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        "</s:Header><s:Body><s:Fault>"
        f"<s:Code><s:Value>{code}</s:Value><s:Subcode><s:Value>{subcode}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>'
        f'<s:Detail><f:WSManFault xmlns:f="{NS_WSMANFAULT}" Code="{wsman_code}" Machine="lab">'
        f"<f:Message>{message if message is not None else reason}</f:Message></f:WSManFault></s:Detail>"
        "</s:Fault></s:Body></s:Envelope>"
    ).encode()


ACCESS_DENIED_FAULT = fault("s:Sender", "w:AccessDenied", "Access is denied.", 5, "Access is denied. ")
TIMED_OUT_FAULT = fault(
    "s:Receiver",
    "w:TimedOut",
    "The WS-Management service cannot complete the operation within the time specified in "
    "OperationTimeout.  ",
    2150858793,
)
ACTION_NOT_SUPPORTED_FAULT = fault(
    "s:Sender", "w:ActionNotSupported", "The lab only answers WS-Management Identify.", 2150858771
)
SCHEMA_FAULT = fault(
    "s:Sender",
    "w:SchemaValidationError",
    "The SOAP XML in the message does not match the schema.",
    2150858817,
)


def billion_laughs() -> bytes:
    """An IdentifyResponse whose vendor is a "billion laughs" entity bomb: safe parsers refuse it."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n{chr(10).join(entities)}\n]>\n'
        f'<s:Envelope xmlns:s="{NS_SOAP}"><s:Header/><s:Body>'
        f'<wsmid:IdentifyResponse xmlns:wsmid="{NS_WSMID}">'
        f"<wsmid:ProtocolVersion>{NS_WSMAN}</wsmid:ProtocolVersion>"
        "<wsmid:ProductVendor>&lol9;</wsmid:ProductVendor>"
        "<wsmid:ProductVersion>OS: 0.0.0 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>"
        "</wsmid:IdentifyResponse></s:Body></s:Envelope>"
    ).encode()


def oversized_parts(total: int) -> tuple[bytes, bytes, int]:
    """Head, tail and filler length of a `total`-byte IdentifyResponse (the filler is streamed)."""
    head = (
        f'<s:Envelope xmlns:s="{NS_SOAP}"><s:Header/><s:Body>'
        f'<wsmid:IdentifyResponse xmlns:wsmid="{NS_WSMID}"><wsmid:ProductVendor>'
    ).encode()
    tail = b"</wsmid:ProductVendor></wsmid:IdentifyResponse></s:Body></s:Envelope>"
    return head, tail, total - len(head) - len(tail)


class BadRequest(Exception):
    """The request body is not XML we accept."""


def parse_envelope(body: bytes) -> Element:
    """The SOAP 1.2 envelope of a request; BadRequest for anything unsafe or malformed."""
    try:
        root: Element = SafeET.fromstring(body)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadRequest(str(exc)) from exc
    if root.tag != f"{{{NS_SOAP}}}Envelope":
        raise BadRequest("not a SOAP 1.2 envelope")
    return root


def holds_identify(root: Element) -> bool:
    return root.find(f"{{{NS_SOAP}}}Body/{{{NS_WSMID}}}Identify") is not None


def is_identify(body: bytes) -> bool:
    """True for an Identify envelope; False for other SOAP; BadRequest for anything unsafe or malformed."""
    return holds_identify(parse_envelope(body))
