"""WS-Management messages: the Identify request, and safe parsing of IdentifyResponse and SOAP faults.

Parsing goes by namespace *and* local name, never by prefix: Windows, OMI and openwsman each use their own
prefixes and OMI even puts IdentifyResponse in the SOAP namespace (docs/protocol.md §5). Documents with a DTD are
refused outright — no WS-Management answer carries one, and refusing them removes entity expansion attacks.
"""

from __future__ import annotations

from typing import NamedTuple
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from core.diagnosis import IdentifyInfo
from core.errors import Problem

SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
WSMID_NS = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
WSMANFAULT_NS = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"

IDENTIFY_REQUEST = (
    f'<s:Envelope xmlns:s="{SOAP_NS}" xmlns:wsmid="{WSMID_NS}">'
    "<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"
).encode()

MAX_XML_DEPTH = 64


class XmlError(ValueError):
    """The answer is not a WS-Management document we can read."""


class SoapFault(NamedTuple):
    code: str | None
    subcode: str | None
    reason: str | None
    wsman_fault_code: int | None
    wsman_message: str | None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def parse_document(data: bytes) -> Element:
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlError(f"the answer declares a DTD or entities, which no WS-Management service sends ({exc})") from None
    except (SafeET.ParseError, LookupError, ValueError) as exc:  # expat also raises these for odd encodings
        raise XmlError(f"malformed XML: {exc}") from None
    _check_depth(root)
    return root


def _check_depth(root: Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_XML_DEPTH:
            raise XmlError(f"the XML nests deeper than {MAX_XML_DEPTH} levels")
        stack.extend((child, depth + 1) for child in element)


def _body(root: Element) -> Element:
    if _local(root.tag) != "Envelope" or _ns(root.tag) != SOAP_NS:
        raise XmlError(f"the answer is not a SOAP 1.2 envelope (root element {_local(root.tag)!r})")
    for child in root:
        if _local(child.tag) == "Body" and _ns(child.tag) == SOAP_NS:
            return child
    raise XmlError("the SOAP envelope has no Body")


def _child_text(parent: Element, local_name: str) -> str | None:
    for child in parent:
        if _local(child.tag) == local_name:
            return (child.text or "").strip()
    return None


def parse_identify_response(data: bytes, authenticated: bool = False) -> IdentifyInfo:
    body = _body(parse_document(data))
    for element in body:
        # Windows and openwsman use the wsmid namespace; OMI puts IdentifyResponse in the SOAP namespace.
        if _local(element.tag) == "IdentifyResponse" and _ns(element.tag) in (WSMID_NS, SOAP_NS):
            return _identify_info(element, authenticated)
    if parse_fault_element(body) is not None:
        raise XmlError("the service answered with a SOAP fault instead of an IdentifyResponse")
    found = ", ".join(_local(e.tag) for e in body) or "nothing"
    raise XmlError(f"expected an IdentifyResponse, the body holds {found}")


def identify_info(data: bytes, authenticated: bool = False) -> IdentifyInfo:
    """The IdentifyResponse in an answer; anything else is a ``wsman.not_wsman`` problem."""
    try:
        return parse_identify_response(data, authenticated)
    except XmlError as exc:
        raise Problem("wsman.not_wsman", reason=str(exc)) from None


def _identify_info(element: Element, authenticated: bool) -> IdentifyInfo:
    protocol = _child_text(element, "ProtocolVersion")
    if protocol is None:
        raise XmlError("the IdentifyResponse has no ProtocolVersion")
    profiles: list[str] = []
    for child in element:
        if _local(child.tag) == "SecurityProfiles":
            profiles.extend((p.text or "").strip() for p in child if _local(p.tag) == "SecurityProfileName")
    return IdentifyInfo(
        protocol_version=protocol,
        product_vendor=_child_text(element, "ProductVendor") or "",
        product_version=_child_text(element, "ProductVersion") or "",
        security_profiles=tuple(p for p in profiles if p),
        authenticated=authenticated,
    )


def parse_fault(data: bytes) -> SoapFault | None:
    """The SOAP fault in ``data``, or None when it holds none (or is not XML at all)."""
    try:
        body = _body(parse_document(data))
    except XmlError:
        return None
    return parse_fault_element(body)


def parse_fault_element(body: Element) -> SoapFault | None:
    fault = next((e for e in body if _local(e.tag) == "Fault"), None)
    if fault is None:
        return None
    code = subcode = reason = message = None
    wsman_code: int | None = None
    for part in fault.iter():
        name = _local(part.tag)
        if name == "Code":
            code = _child_text(part, "Value")
        elif name == "Subcode" and subcode is None:
            subcode = _child_text(part, "Value")
        elif name == "Reason":
            reason = _child_text(part, "Text")
        elif name == "WSManFault" and _ns(part.tag) == WSMANFAULT_NS and wsman_code is None:
            raw = part.get("Code")
            # A uint32: ASCII digits only (str.isdigit also accepts '²', which int() refuses).
            wsman_code = int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 10 else None
            message = "".join(m.text or "" for m in part if _local(m.tag) == "Message").strip() or None
    return SoapFault(code, subcode, reason, wsman_code, message)
