"""Parsing IdentifyResponses and faults shaped like real Windows, OMI and openwsman answers."""

from __future__ import annotations

import pytest

from core.wsman import XmlError, parse_fault, parse_identify_response

# Shape of an unauthenticated Server 2012 R2 answer: chef/knife-windows spec/unit/knife/wsman_test_spec.rb
WINDOWS_2012R2 = b"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xml:lang="en-US"><s:Header/><s:Body>
<wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">
<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>
<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>
<wsmid:ProductVersion>OS: 0.0.0 SP: 0.0 Stack: 3.0</wsmid:ProductVersion></wsmid:IdentifyResponse></s:Body></s:Envelope>"""

# An authenticated answer with security profiles, as published for a 2012 R2 host (docs/protocol.md).
WINDOWS_AUTHENTICATED = b"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xml:lang="en-US"><s:Header/>
<s:Body><wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">
<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>
<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>
<wsmid:ProductVersion>OS: 6.3.9600 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>
<wsmid:SecurityProfiles>
<wsmid:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic</wsmid:SecurityProfileName>
<wsmid:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos</wsmid:SecurityProfileName>
</wsmid:SecurityProfiles></wsmid:IdentifyResponse></s:Body></s:Envelope>"""

# OMI: IdentifyResponse in the SOAP namespace, with its capability extension (microsoft/omi Unix/wsman/wsman.c).
OMI = b"""<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
 xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
 xmlns:wsmb="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"><SOAP-ENV:Header/><SOAP-ENV:Body>
<SOAP-ENV:IdentifyResponse><wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>
<wsmid:ProductVendor>Open Management Infrastructure</wsmid:ProductVendor><wsmid:ProductVersion>1.6.8-1</wsmid:ProductVersion>
<wsmb:Capability_FaultIncludesCIMError/></SOAP-ENV:IdentifyResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"""

OPENWSMAN = b"""<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
 xmlns:id="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><env:Header/><env:Body>
<id:IdentifyResponse><id:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</id:ProtocolVersion>
<id:ProductVendor>openwsman</id:ProductVendor><id:ProductVersion>2.2.4</id:ProductVersion>
<id:SecurityProfiles/></id:IdentifyResponse></env:Body></env:Envelope>"""

# The w:TimedOut fault from a Server 2022 host: diyan/pywinrm winrm/tests/test_exceptions.py (MIT).
TIMED_OUT = b"""<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
<s:Header/><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode>
</s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time
specified in OperationTimeout.</s:Text></s:Reason><s:Detail><f:WSManFault
 xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="server2022">
<f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.
</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>"""

# A localised fault: classification must not depend on the text.
GERMAN_ACCESS_DENIED = b"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>
<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:AccessDenied</s:Value></s:Subcode></s:Code>
<s:Reason><s:Text xml:lang="de-DE">Zugriff verweigert</s:Text></s:Reason><s:Detail>
<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="5" Machine="srv">
<f:Message>Zugriff verweigert</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>"""


@pytest.mark.parametrize(
    ("sample", "vendor", "version", "profiles"),
    [
        (WINDOWS_2012R2, "Microsoft Corporation", "OS: 0.0.0 SP: 0.0 Stack: 3.0", 0),
        (WINDOWS_AUTHENTICATED, "Microsoft Corporation", "OS: 6.3.9600 SP: 0.0 Stack: 3.0", 2),
        (OMI, "Open Management Infrastructure", "1.6.8-1", 0),
        (OPENWSMAN, "openwsman", "2.2.4", 0),
    ],
)
def test_identify_responses_of_every_vendor_are_read(sample: bytes, vendor: str, version: str, profiles: int) -> None:
    info = parse_identify_response(sample)
    assert (info.product_vendor, info.product_version, len(info.security_profiles)) == (vendor, version, profiles)
    assert info.protocol_version.endswith("wsman.xsd")


def test_the_windows_timeout_fault_keeps_its_code() -> None:
    fault = parse_fault(TIMED_OUT)
    assert fault is not None
    assert (fault.subcode, fault.wsman_fault_code) == ("w:TimedOut", 2150858793)


def test_a_localised_fault_is_classified_by_its_codes() -> None:
    from core.failures import failure
    from core.failures.classify import fault_problem

    fault = parse_fault(GERMAN_ACCESS_DENIED)
    assert fault is not None
    problem = fault_problem(fault)
    assert problem.kind == "fault.access_denied"
    found = failure(problem.kind, "auth", None, **problem.facts)
    assert found.category.name == "ACCESS_DENIED" and found.windows_code == 5
    assert "Zugriff verweigert" in found.message  # the server's words are shown verbatim


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"<html><body>It works!</body></html>",
        WINDOWS_2012R2[:200],
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b"<a>" * 100 + b"</a>" * 100,
        TIMED_OUT,
    ],
)
def test_anything_else_is_a_clear_xml_error(bad: bytes) -> None:
    with pytest.raises(XmlError):
        parse_identify_response(bad)
