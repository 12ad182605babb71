"""The lab's remote shells: Create and Delete on the cmd shell and PowerShell endpoints, who may open them, and a
record of every shell, so tests can check that each one a client created was deleted.

Each scenario's ``shells`` policy is one configuration of a real service:
- ``allowed``: the lab's users may open the cmd shell and the ``Microsoft.PowerShell`` endpoint;
- ``denied``: the endpoints' security descriptors leave every user but ``administrator`` out;
- ``uac``: the users are local administrators and LocalAccountTokenFilterPolicy is 0, so a logon with a local
  account (Basic, ``user`` or ``.\\user``; the built-in ``administrator`` excepted) is filtered and refused, while
  ``LAB\\user`` logs on as a domain account would;
- ``quota``: MaxShellsPerUser is 2 and every user already holds two stale shells;
- ``powershell-disabled``: ``Microsoft.PowerShell`` is unregistered (Unregister-PSSessionConfiguration, or its
  plugin disabled), the cmd shell still opens;
- ``shells-off``: AllowRemoteShellAccess is false.
A flavour that is not Windows (OMI, openwsman) has no shells at all, whatever the policy.

The faults are shaped after Windows' own (``_xml.fault``); where each reason and code comes from is said beside it.
"""

from __future__ import annotations

import base64
import binascii
import struct
import threading
import time
import uuid
from dataclasses import dataclass, replace
from xml.etree.ElementTree import Element

from core.lab import _xml

CMD_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
POWERSHELL_PREFIX = "http://schemas.microsoft.com/powershell/"
REGISTERED = {"microsoft.powershell", "microsoft.powershell32"}  # session configurations a fresh Windows has
ACTION_CREATE = f"{_xml.NS_TRANSFER}/Create"
ACTION_DELETE = f"{_xml.NS_TRANSFER}/Delete"
MAX_SHELLS_PER_USER = 2
POLICIES = ("allowed", "denied", "uac", "quota", "powershell-disabled", "shells-off")

# The reason Windows gives and the message of its WSManFault: unioslo/cerebrum Cerebrum/modules/ad2/winrm.py quotes
# the whole fault (s:Sender, w:QuotaLimit, 2150859173); test-kitchen issue #656 shows the same message from a server.
QUOTA_FAULT = _xml.fault(
    "s:Sender", "w:QuotaLimit",
    "The WS-Management service cannot process the request. The maximum number of concurrent shells for this user "
    "has been exceeded. Close existing shells or raise the quota for this user. ",
    2150859173,
    f"The WS-Management service cannot process the request. This user is allowed a maximum number of "
    f"{MAX_SHELLS_PER_USER} concurrent shells, which has been exceeded. Close existing shells or raise the quota "
    "for this user. ",
)
# ERROR_WSMAN_REMOTESHELLS_NOT_ALLOWED (wsmerror.h). No public sample shows its subcode; the client goes by the code.
SHELLS_OFF_FAULT = _xml.fault(
    "s:Receiver", "w:InternalError",
    "The WS-Management service cannot process the request. The service is configured to not accept any remote "
    "shell requests. ",
    2150859180,
)


def no_resource_fault(uri: str) -> bytes:
    """ERROR_WSMAN_INVALID_RESOURCE_URI: the text pypsrp issue #192 and pywinrm issue #273 quote from Windows; the
    subcode is DSP0226's for a resource URI nobody serves."""
    return _xml.fault(
        "s:Sender", "a:DestinationUnreachable",
        f"The WS-Management service cannot process the request. The resource URI ({_escape(uri)}) was not found in "
        "the WS-Management catalog. The catalog contains the metadata that describes resources, or logical "
        "endpoints. ",
        2150858811,
    )


def no_shell_fault(shell_id: str) -> bytes:
    """A Delete for a shell that is not there: w:InvalidSelectors, ERROR_WSMAN_UNEXPECTED_SELECTORS (0x8033805B, the
    code pypsrp's RunspacePool.is_alive reads as "closed")."""
    return _xml.fault(
        "s:Sender", "w:InvalidSelectors",
        f"The request for the Windows Remote Shell with ShellId {_escape(shell_id)} failed because the shell was "
        "not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer "
        "exists on the server. Provide the correct ShellId or create a new shell and retry the operation. ",
        2150858843,
    )


# openwsman's dispatcher answers a resource URI no plugin serves with wsa:DestinationUnreachable and faultDetail
# InvalidResourceURI (Openwsman/openwsman src/lib/wsman-dispatcher.c), a Sender fault, so HTTP 400, in the words of
# its fault table (src/lib/wsman-faults.c). OMI has no shells without PowerShell's provider; its own fault for them
# was not measured, so it answers the DSP0226 fault the same way, with OMI's HTTP 500.
NOT_SERVED_FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{_xml.NS_SOAP}" xmlns:wsa="{_xml.NS_ADDRESSING}" '
    f'xmlns:wsman="{_xml.NS_WSMAN}"><SOAP-ENV:Header>'
    "<wsa:Action>http://schemas.xmlsoap.org/ws/2004/08/addressing/fault</wsa:Action></SOAP-ENV:Header>"
    "<SOAP-ENV:Body><SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value>"
    "<SOAP-ENV:Subcode><SOAP-ENV:Value>wsa:DestinationUnreachable</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code>"
    '<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">No route can be determined to reach the destination role defined '
    "by the WS-Addressing To.</SOAP-ENV:Text></SOAP-ENV:Reason><SOAP-ENV:Detail><wsman:FaultDetail>"
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidResourceURI</wsman:FaultDetail>"
    "</SOAP-ENV:Detail></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class ShellRecord:
    """A shell the lab created: on which endpoint, for whom, and when it was deleted (None while it is open)."""

    endpoint: str
    shell_id: str
    resource_uri: str
    owner: str  # the logon as the client wrote it
    idle_timeout: str  # the IdleTimeOut the Create asked for ("" if none)
    created: float
    deleted: float | None = None
    stale: bool = False  # held by "someone else" from the start (the quota scenario), not created by a client
    proposed: bool = False  # the client proposed the ShellId
    ready: float = 0.0  # when the service finished creating it (a slow endpoint); a Delete before then finds nothing


class ShellTable:
    """Every shell of one lab, across its endpoints; read by tests from their own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[ShellRecord] = []

    def add(self, record: ShellRecord) -> None:
        with self._lock:
            self._records.append(record)

    def delete(self, endpoint: str, shell_id: str) -> bool:
        with self._lock:
            for index, record in enumerate(self._records):
                same = record.endpoint == endpoint and record.shell_id.lower() == shell_id.lower()
                if same and not record.deleted and record.ready <= time.time():
                    self._records[index] = replace(record, deleted=time.time())
                    return True
        return False

    def live(self, endpoint: str, user: str) -> int:
        with self._lock:
            return sum(
                1 for r in self._records
                if r.endpoint == endpoint and r.deleted is None and _user(r.owner) == _user(user)
            )  # fmt: skip

    def exists(self, endpoint: str, shell_id: str) -> bool:
        with self._lock:
            return any(r.endpoint == endpoint and r.shell_id.lower() == shell_id.lower() for r in self._records)

    def records(self) -> list[ShellRecord]:
        """Every shell a client created (stale ones left out), in the order they were created."""
        with self._lock:
            return [r for r in self._records if not r.stale]


def _user(logon: str) -> str:
    return logon.rsplit("\\", 1)[-1].split("@", 1)[0].lower()


@dataclass(frozen=True)
class Request:
    """A WS-Transfer request on a shell resource, as the lab reads it."""

    action: str
    resource_uri: str
    message_id: str
    to: str
    shell_id: str  # the ShellId selector (Delete), or the ShellId the client proposed (Create); "" if none
    shell: Element | None  # the rsp:Shell of a Create


def read_request(root: Element) -> Request | None:
    """The shell request in a parsed envelope; None for anything that is not a Create or a Delete."""
    header = root.find(f"{{{_xml.NS_SOAP}}}Header")
    if header is None:
        return None
    action = _text(header, f"{{{_xml.NS_ADDRESSING}}}Action")
    if action not in (ACTION_CREATE, ACTION_DELETE):
        return None
    selector = header.find(f"{{{_xml.NS_WSMAN}}}SelectorSet/{{{_xml.NS_WSMAN}}}Selector[@Name='ShellId']")
    shell = root.find(f"{{{_xml.NS_SOAP}}}Body/{{{_xml.NS_SHELL}}}Shell")
    shell_id = (selector.text or "").strip() if selector is not None else ""
    if shell is not None:
        shell_id = shell.get("ShellId", "").strip()
    return Request(
        action=action,
        resource_uri=_text(header, f"{{{_xml.NS_WSMAN}}}ResourceURI"),
        message_id=_text(header, f"{{{_xml.NS_ADDRESSING}}}MessageID"),
        to=_text(header, f"{{{_xml.NS_ADDRESSING}}}To"),
        shell_id=shell_id,
        shell=shell,
    )


def _text(parent: Element, path: str) -> str:
    found = parent.find(path)
    return (found.text or "").strip() if found is not None else ""


def refusal(policy: str, request: Request, logon: str, basic: bool, table: ShellTable, endpoint: str) -> bytes | None:
    """Why a Windows service with ``policy`` refuses this Create (the fault to answer), or None when it opens it."""
    uri = request.resource_uri
    name = uri[len(POWERSHELL_PREFIX) :].lower() if uri.lower().startswith(POWERSHELL_PREFIX) else ""
    if policy == "shells-off":
        return SHELLS_OFF_FAULT
    if uri != CMD_URI and (name not in REGISTERED or policy == "powershell-disabled"):
        return no_resource_fault(uri)
    user = _user(logon)
    local = basic or logon.startswith(".\\") or ("\\" not in logon and "@" not in logon)
    if (policy == "denied" and user != "administrator") or (policy == "uac" and local and user != "administrator"):
        return _xml.ACCESS_DENIED_FAULT
    if policy == "quota" and table.live(endpoint, user) >= MAX_SHELLS_PER_USER:
        return QUOTA_FAULT
    if name and request.shell is not None and not valid_creation(request.shell, request.shell_id):
        return _xml.SCHEMA_FAULT
    return None


def valid_creation(shell: Element, shell_id: str) -> bool:
    """A PowerShell endpoint's creationXml: SESSION_CAPABILITY then INIT_RUNSPACEPOOL for the server, each one whole
    fragment for the RunspacePool that is the shell (MS-PSRP 2.2.4, 2.2.1)."""
    element = shell.find(f"{{{_xml.NS_POWERSHELL}}}creationXml")
    try:
        data = base64.b64decode((element.text or "") if element is not None else "", validate=True)
        pool = uuid.UUID(shell_id) if shell_id else None
    except (binascii.Error, ValueError):
        return False
    types = []
    while len(data) >= 21:
        _, fragment_id, flags, length = struct.unpack(">QQBI", data[:21])
        message, data = data[21 : 21 + length], data[21 + length :]
        if fragment_id != 0 or flags != 0b11 or len(message) != length or length < 40:
            return False
        destination, message_type = struct.unpack("<II", message[:8])
        if destination != 2 or (pool is not None and message[8:24] != pool.bytes_le):
            return False
        types.append(message_type)
    return not data and types == [0x00010002, 0x00010004]


def create_response(request: Request, record: ShellRecord) -> bytes:
    """Windows' CreateResponse: ResourceCreated with the ShellId selector, then the rsp:Shell it opened (the shape
    of pypsrp's recorded tests/responses/test_psrp_open_runspace.yml)."""
    return (
        f'<s:Envelope xml:lang="en-US" xmlns:s="{_xml.NS_SOAP}" xmlns:a="{_xml.NS_ADDRESSING}" '
        f'xmlns:x="{_xml.NS_TRANSFER}" xmlns:w="{_xml.NS_WSMAN}" xmlns:rsp="{_xml.NS_SHELL}"><s:Header>'
        "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        f"<a:RelatesTo>{_escape(request.message_id)}</a:RelatesTo></s:Header><s:Body><x:ResourceCreated>"
        f"<a:Address>{_escape(request.to)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{_escape(record.resource_uri)}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{record.shell_id}</w:Selector></w:SelectorSet></a:ReferenceParameters>'
        f"</x:ResourceCreated><rsp:Shell><rsp:ShellId>{record.shell_id}</rsp:ShellId>"
        f"<rsp:ResourceUri>{_escape(record.resource_uri)}</rsp:ResourceUri><rsp:Owner>{_escape(record.owner)}</rsp:Owner>"
        "<rsp:ClientIP>127.0.0.1</rsp:ClientIP>"
        f"<rsp:IdleTimeOut>{_escape(record.idle_timeout or 'PT7200.000S')}</rsp:IdleTimeOut>"
        "<rsp:State>Connected</rsp:State></rsp:Shell></s:Body></s:Envelope>"
    ).encode()


def delete_response(request: Request) -> bytes:
    return (
        f'<s:Envelope xml:lang="en-US" xmlns:s="{_xml.NS_SOAP}" xmlns:a="{_xml.NS_ADDRESSING}"><s:Header>'
        "<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        f"<a:RelatesTo>{_escape(request.message_id)}</a:RelatesTo></s:Header><s:Body></s:Body></s:Envelope>"
    ).encode()


def new_record(endpoint: str, request: Request, logon: str, takes: float = 0.0) -> ShellRecord:
    """The shell a Create opens, ready after ``takes`` seconds."""
    shell_id = request.shell_id.upper() or str(uuid.uuid4()).upper()  # the client's proposal, as Windows takes it
    idle = _text(request.shell, f"{{{_xml.NS_SHELL}}}IdleTimeOut") if request.shell is not None else ""
    now = time.time()
    return ShellRecord(
        endpoint, shell_id, request.resource_uri, logon, idle, now, proposed=bool(request.shell_id), ready=now + takes
    )


def stale_shells(endpoint: str, users: list[str]) -> list[ShellRecord]:
    """The quota scenario's shells held from the start: MAX_SHELLS_PER_USER for every user."""
    return [
        ShellRecord(endpoint, str(uuid.uuid4()).upper(), CMD_URI, user, "PT7200.000S", time.time(), stale=True)
        for user in users for _ in range(MAX_SHELLS_PER_USER)
    ]  # fmt: skip
