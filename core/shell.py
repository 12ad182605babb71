"""Remote shells over WS-Management: which shell a user asks for, and the Create and Delete messages that open and
close it (never a command in between).

The cmd shell's Create is pywinrm's ``Protocol.open_shell`` (diyan/pywinrm, winrm/protocol.py): resource URI
``…/windows/shell/cmd``, options ``WINRS_NOPROFILE=FALSE`` and ``WINRS_CODEPAGE=437``, streams ``stdin`` and
``stdout stderr``. A PowerShell endpoint's Create is pypsrp's ``RunspacePool.open`` (jborean93/pypsrp,
src/pypsrp/powershell.py): resource URI ``http://schemas.microsoft.com/powershell/<configuration>``, option
``protocolversion=2.3`` (MustComply), streams ``stdin pr`` and ``stdout``, and a ``creationXml`` holding the
SESSION_CAPABILITY and INIT_RUNSPACEPOOL messages (MS-PSRP 2.2.2.1 and 2.2.2.2) exactly as pypsrp serialises them.
Delete is WS-Transfer Delete with the ``ShellId`` selector, as both libraries close a shell.

Two additions, both for the cleanup (``core.cleanup``): the client proposes the ShellId (pypsrp does for PowerShell,
pypsrp's ``WinRS(id=…)`` for any shell; Windows' own ``WSManCreateShellEx`` does from WS-Management stack 3.0), so a
shell whose Create answer never arrived can still be deleted; and ``IdleTimeOut`` of 60 s, the shortest a PowerShell
session may ask for (``New-PSSessionOption -IdleTimeout``), so a shell nobody could delete ends within about a minute
instead of the service's default two hours.
"""

from __future__ import annotations

import base64
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.wsman import SOAP_NS, XmlError, parse_document

if TYPE_CHECKING:
    import uuid

CMD_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
POWERSHELL_PREFIX = "http://schemas.microsoft.com/powershell/"
DEFAULT_POWERSHELL = "Microsoft.PowerShell"
IDLE_TIMEOUT_S = 60

NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_MS_WSMAN = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_POWERSHELL = "http://schemas.microsoft.com/powershell"
ACTION_CREATE = f"{NS_TRANSFER}/Create"
ACTION_DELETE = f"{NS_TRANSFER}/Delete"
ANONYMOUS = f"{NS_ADDRESSING}/role/anonymous"

# A PowerShell session configuration name (Register-PSSessionConfiguration -Name), or a resource URI.
_CONFIGURATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_URI = re.compile(r"^https?://[\x21-\x7e]{1,500}$")


class ShellChoiceError(ValueError):
    """A shell that cannot be asked for; the message says why (the field is ``shell``)."""


@dataclass(frozen=True)
class ShellTarget:
    """The shell a test opens: its resource URI, and how the window, the hint and the fixes name it."""

    resource_uri: str

    @property
    def is_powershell(self) -> bool:
        return self.resource_uri.lower().startswith(POWERSHELL_PREFIX)

    @property
    def configuration(self) -> str:
        """The PowerShell session configuration's name (``Microsoft.PowerShell``); "" for a WinRS shell."""
        return self.resource_uri[len(POWERSHELL_PREFIX) :] if self.is_powershell else ""

    @property
    def label(self) -> str:
        if self.is_powershell:
            return f"PowerShell endpoint {self.configuration}"
        return "cmd shell" if self.resource_uri == CMD_URI else f"shell {self.resource_uri}"


def shell_target(choice: str) -> ShellTarget:
    """``cmd``, ``powershell``, a PowerShell session configuration name, or a shell's resource URI."""
    text = choice.strip() if isinstance(choice, str) else ""
    if text.lower() == "cmd":
        return ShellTarget(CMD_URI)
    if text.lower() == "powershell":
        return ShellTarget(POWERSHELL_PREFIX + DEFAULT_POWERSHELL)
    if _URI.match(text):
        return ShellTarget(text)
    if _CONFIGURATION.match(text):
        return ShellTarget(POWERSHELL_PREFIX + text)
    raise ShellChoiceError(
        f"must be cmd, powershell, a PowerShell session configuration name (letters, digits, '.', '_', '-') or a "
        f"shell resource URI, not {choice!r}"
    )


def new_shell_id() -> str:
    import uuid  # here: uuid loads platform, and a test that opens no shell has no use for either

    return str(uuid.uuid4()).upper()  # as pypsrp writes a RunspacePool's id


# --- the messages -------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """For XML text and attribute values."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _envelope(to: str, action: str, resource_uri: str, header_extra: str, body: str) -> bytes:
    """pywinrm's header (``build_wsman_header``), with ``mustUnderstand`` in the SOAP namespace as pypsrp writes it."""
    return (
        f'<s:Envelope xmlns:s="{SOAP_NS}" xmlns:a="{NS_ADDRESSING}" xmlns:w="{NS_WSMAN}" xmlns:p="{NS_MS_WSMAN}" '
        f'xmlns:rsp="{NS_SHELL}"><s:Header>'
        f"<a:To>{_escape(to)}</a:To>"
        f'<a:ReplyTo><a:Address s:mustUnderstand="true">{ANONYMOUS}</a:Address></a:ReplyTo>'
        '<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>'
        f"<a:MessageID>uuid:{new_shell_id()}</a:MessageID>"
        '<w:Locale s:mustUnderstand="false" xml:lang="en-US"/>'
        '<p:DataLocale s:mustUnderstand="false" xml:lang="en-US"/>'
        "<w:OperationTimeout>PT20S</w:OperationTimeout>"
        f'<w:ResourceURI s:mustUnderstand="true">{_escape(resource_uri)}</w:ResourceURI>'
        f'<a:Action s:mustUnderstand="true">{action}</a:Action>'
        f"{header_extra}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def create_request(to: str, shell: ShellTarget, shell_id: str | None) -> bytes:
    """The Create that opens ``shell``; ``shell_id``: the ShellId the client proposes (None: the server picks)."""
    id_attr = f' ShellId="{_escape(shell_id)}"' if shell_id else ""
    idle = f"<rsp:IdleTimeOut>PT{IDLE_TIMEOUT_S}.000S</rsp:IdleTimeOut>"
    if shell.is_powershell:
        options = (
            '<w:OptionSet s:mustUnderstand="true">'
            '<w:Option Name="protocolversion" MustComply="true">2.3</w:Option></w:OptionSet>'
        )
        import uuid

        pool_id = uuid.UUID(shell_id or new_shell_id())
        creation = base64.b64encode(creation_xml(pool_id)).decode()
        body = (
            f"<rsp:Shell{id_attr}><rsp:InputStreams>stdin pr</rsp:InputStreams>"
            f"<rsp:OutputStreams>stdout</rsp:OutputStreams>{idle}"
            f'<creationXml xmlns="{NS_POWERSHELL}">{creation}</creationXml></rsp:Shell>'
        )
    else:
        options = (
            '<w:OptionSet><w:Option Name="WINRS_NOPROFILE">FALSE</w:Option>'
            '<w:Option Name="WINRS_CODEPAGE">437</w:Option></w:OptionSet>'
        )
        body = (
            f"<rsp:Shell{id_attr}><rsp:InputStreams>stdin</rsp:InputStreams>"
            f"<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>{idle}</rsp:Shell>"
        )
    return _envelope(to, ACTION_CREATE, shell.resource_uri, options, body)


def delete_request(to: str, shell: ShellTarget, shell_id: str) -> bytes:
    selector = f'<w:SelectorSet><w:Selector Name="ShellId">{_escape(shell_id)}</w:Selector></w:SelectorSet>'
    return _envelope(to, ACTION_DELETE, shell.resource_uri, selector, "")


# --- PowerShell's creationXml (MS-PSRP) ---------------------------------------------------------------------

SESSION_CAPABILITY = 0x00010002
INIT_RUNSPACEPOOL = 0x00010004
DESTINATION_SERVER = 2
# The two messages' CLIXML, byte for byte as pypsrp 0.8 sends them (tests/responses/test_psrp_open_runspace.yml).
_CAPABILITY_XML = (
    b'<Obj RefId="0"><MS><Version N="protocolversion">2.3</Version><Version N="PSVersion">2.0</Version>'
    b'<Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>'
)
_INIT_POOL_XML = (
    b'<Obj RefId="0"><MS><I32 N="MinRunspaces">1</I32><I32 N="MaxRunspaces">1</I32>'
    b'<Obj N="PSThreadOptions" RefId="1"><TN RefId="0"><T>System.Management.Automation.Runspaces.PSThreadOptions</T>'
    b"<T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>Default</ToString><I32>0</I32></Obj>"
    b'<Obj N="ApartmentState" RefId="2"><TN RefId="1"><T>System.Management.Automation.Runspaces.ApartmentState</T>'
    b"<T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN><ToString>UNKNOWN</ToString><I32>2</I32></Obj>"
    b'<Obj N="HostInfo" RefId="3"><MS><B N="_isHostNull">true</B><B N="_isHostUINull">true</B>'
    b'<B N="_isHostRawUINull">true</B><B N="_useRunspaceHost">true</B></MS></Obj>'
    b'<Nil N="ApplicationArguments" /></MS></Obj>'
)


def creation_xml(pool_id: uuid.UUID) -> bytes:
    """Two PSRP messages for the RunspacePool ``pool_id``, one fragment each (MS-PSRP 2.2.4: object id, fragment
    id and length big-endian; the message header little-endian, GUIDs in .NET byte order)."""
    out = b""
    for object_id, (message_type, data) in enumerate(
        ((SESSION_CAPABILITY, _CAPABILITY_XML), (INIT_RUNSPACEPOOL, _INIT_POOL_XML)), start=1
    ):
        message = struct.pack("<II", DESTINATION_SERVER, message_type) + pool_id.bytes_le + bytes(16) + data
        out += struct.pack(">QQBI", object_id, 0, 0b11, len(message)) + message  # start and end of the message
    return out


# --- the answers --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedShell:
    shell_id: str
    owner: str  # rsp:Owner, where the service says who the shell runs as


def created_shell(body: bytes) -> CreatedShell:
    """The ShellId of a CreateResponse: the ``ShellId`` selector of ``ResourceCreated`` (as pywinrm reads it), or
    ``rsp:Shell/rsp:ShellId`` (as pypsrp does). XmlError when the answer holds neither."""
    root = parse_document(body)
    shell_id = owner = ""
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        in_shell = element.tag.startswith(f"{{{NS_SHELL}}}")
        selector = local == "Selector" and element.get("Name") == "ShellId"
        if not shell_id and (selector or (local == "ShellId" and in_shell)):
            shell_id = (element.text or "").strip()
        elif local == "Owner" and in_shell:
            owner = (element.text or "").strip()
    if not shell_id:
        raise XmlError("the answer to Create names no ShellId")
    return CreatedShell(shell_id[:200], owner[:200])


__all__ = [
    "CMD_URI",
    "POWERSHELL_PREFIX",
    "CreatedShell",
    "ShellChoiceError",
    "ShellTarget",
    "create_request",
    "created_shell",
    "delete_request",
    "new_shell_id",
    "shell_target",
]
