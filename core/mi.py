"""The MI vocabulary that the rest of ``core`` speaks: results, categories, instances, options.

Names and numbers follow the Windows MI API (mi.h) so that a helpdesk can look a value up in Microsoft's
documentation; Python spelling is used for the attribute names.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from core.operation import Operation


class MIResult(enum.IntEnum):
    """``MI_Result``: the DMTF CIM status codes."""

    OK = 0
    FAILED = 1
    ACCESS_DENIED = 2
    INVALID_NAMESPACE = 3
    INVALID_PARAMETER = 4
    INVALID_CLASS = 5
    NOT_FOUND = 6
    NOT_SUPPORTED = 7
    CLASS_HAS_CHILDREN = 8
    CLASS_HAS_INSTANCES = 9
    INVALID_SUPERCLASS = 10
    ALREADY_EXISTS = 11
    NO_SUCH_PROPERTY = 12
    TYPE_MISMATCH = 13
    QUERY_LANGUAGE_NOT_SUPPORTED = 14
    INVALID_QUERY = 15
    METHOD_NOT_AVAILABLE = 16
    METHOD_NOT_FOUND = 17
    NAMESPACE_NOT_EMPTY = 20
    INVALID_ENUMERATION_CONTEXT = 21
    INVALID_OPERATION_TIMEOUT = 22
    PULL_HAS_BEEN_ABANDONED = 23
    PULL_CANNOT_BE_ABANDONED = 24
    FILTERED_ENUMERATION_NOT_SUPPORTED = 25
    CONTINUATION_ON_ERROR_NOT_SUPPORTED = 26
    SERVER_LIMITS_EXCEEDED = 27
    SERVER_IS_SHUTTING_DOWN = 28

    @property
    def mi_name(self) -> str:
        """The name Windows prints, e.g. ``MI_RESULT_ACCESS_DENIED``."""
        return f"MI_RESULT_{self.name}"


class MIErrorCategory(enum.IntEnum):
    """``MI_ErrorCategory``, carried as ``error_Category`` in error details."""

    NOT_SPECIFIED = 0
    OPEN_ERROR = 1
    CLOSE_ERROR = 2
    DEVICE_ERROR = 3
    DEADLOCK_DETECTED = 4
    INVALID_ARGUMENT = 5
    INVALID_DATA = 6
    INVALID_OPERATION = 7
    INVALID_RESULT = 8
    INVALID_TYPE = 9
    METADATA_ERROR = 10
    NOT_IMPLEMENTED = 11
    NOT_INSTALLED = 12
    OBJECT_NOT_FOUND = 13
    OPERATION_STOPPED = 14
    OPERATION_TIMEOUT = 15
    SYNTAX_ERROR = 16
    PARSER_ERROR = 17
    ACCESS_DENIED = 18
    RESOURCE_BUSY = 19
    RESOURCE_EXISTS = 20
    RESOURCE_UNAVAILABLE = 21
    READ_ERROR = 22
    WRITE_ERROR = 23
    FROM_STDERR = 24
    SECURITY_ERROR = 25
    PROTOCOL_ERROR = 26
    CONNECTION_ERROR = 27
    AUTHENTICATION_ERROR = 28
    LIMITS_EXCEEDED = 29
    QUOTA_EXCEEDED = 30
    NOT_ENABLED = 31


class CancellationReason(enum.IntEnum):
    """``MI_CancellationReason``."""

    NONE = 0
    TIMEOUT = 1
    SHUTDOWN = 2
    SERVICESTOP = 3


class AuthType(enum.StrEnum):
    """Authentication for the ``auth`` stage. ``NONE`` stops after the anonymous Identify.

    What each one is and does lives in its unit of ``core.schemes``.
    """

    NONE = "none"
    BASIC = "basic"
    NTLM = "ntlm"
    NEGOTIATE = "negotiate"
    KERBEROS = "kerberos"
    CREDSSP = "credssp"
    CERTIFICATE = "certificate"


class Instance(Mapping[str, Any]):
    """A read-only CIM instance: a class name and its properties, e.g. ``instance["ProductVersion"]``."""

    __slots__ = ("_class_name", "_properties")

    def __init__(self, class_name: str, properties: Mapping[str, Any]) -> None:
        self._class_name = class_name
        self._properties = dict(properties)

    @property
    def class_name(self) -> str:
        return self._class_name

    def __getitem__(self, key: str) -> Any:
        return self._properties[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._properties)

    def __len__(self) -> int:
        return len(self._properties)

    def __repr__(self) -> str:
        return f"Instance({self._class_name!r}, {self._properties!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Instance):
            return NotImplemented
        return self._class_name == other._class_name and self._properties == other._properties

    def __hash__(self) -> int:
        return hash((self._class_name, tuple(sorted(self._properties))))


# The records below are NamedTuples rather than frozen dataclasses: as immutable and typed, and about ten times
# cheaper to define, which the command line pays for at every start (CONTRIBUTING.md, "The check's import path").
class InstanceResult(NamedTuple):
    """What ``MI_Operation_GetInstance`` hands back, and what ``instance_result`` is called with."""

    instance: Instance | None
    more_results: bool
    result_code: MIResult
    error_message: str | None
    error_details: Instance | None


class UserCredentials(NamedTuple):
    """``MI_UserCredentials`` for the username/password kinds. The password is kept out of ``repr``."""

    username: str
    password: str = ""
    domain: str | None = None

    def __repr__(self) -> str:
        return f"UserCredentials(username={self.username!r}, domain={self.domain!r}, password=<hidden>)"

    @property
    def qualified_username(self) -> str:
        """``DOMAIN\\user`` when a domain was given separately, else the name as typed."""
        if self.domain and "\\" not in self.username and "@" not in self.username:
            return f"{self.domain}\\{self.username}"
        return self.username


class CertificateCredentials(NamedTuple):
    """A client certificate and key (PEM files) for ``AuthType.CERTIFICATE``."""

    cert_pem: str
    key_pem: str


class DestinationOptions(NamedTuple):
    """``MI_DestinationOptions`` that matter for a test connection. Security checks default to on, as on Windows."""

    transport: str = "http"  # "http" or "https"
    port: int | None = None  # None: 5985 for http, 5986 for https
    url_prefix: str = "wsman"
    auth: AuthType = AuthType.NONE
    credentials: UserCredentials | CertificateCredentials | None = None
    cert_ca_check: bool = True
    cert_cn_check: bool = True
    ca_file: str | None = None
    timeout: float = 10.0
    allow_unencrypted: bool = False  # Basic over plain HTTP, as WinRM's AllowUnencrypted
    # The session stage (off: MI_Session_TestConnection's own semantics): open a remote shell after auth, then
    # delete it at once. ``remote_shell``: "cmd", "powershell", a PowerShell session configuration name or a
    # resource URI.
    open_shell: bool = False
    remote_shell: str = "cmd"
    # Kerberos (and Negotiate's Kerberos) asks for a ticket to HTTP/<host as typed>, as Windows' client does.
    spn: str | None = None  # another service principal ("WSMAN/srv01.corp.example"), or a service class ("WSMAN")
    include_port_in_spn: bool = False  # HTTP/<host>:<port>, as New-PSSessionOption -IncludePortInSPN
    # Linux, macOS: the Kerberos ticket cache a test as the current user takes its ticket from ("FILE:/tmp/krb5cc_x",
    # as KRB5CCNAME names one); None: the user's default. Windows keeps tickets in the logon session instead.
    ticket_cache: str | None = None
    # When the WinRM port does not connect, look whether the host answers on other ports (core.neighbours).
    port_look: bool = True
    look_ports: tuple[int, ...] = ()  # () for the ports Windows usually answers on: 445, 135, 3389, 5985, 5986


ProgressCallback = Callable[["Operation", str, str, str, int, int], None]
MessageCallback = Callable[["Operation", int, str], None]
InstanceResultCallback = Callable[
    ["Operation", "Instance | None", bool, MIResult, "str | None", "Instance | None"], None
]


class OperationCallbacks(NamedTuple):
    """``MI_OperationCallbacks``. With ``instance_result`` set the operation runs asynchronously.

    ``write_progress(operation, activity, current_operation, status_description, percent_complete,
    seconds_remaining)`` is called as each stage starts and ends, with ``current_operation`` the stage name;
    ``operation.diagnosis`` then holds the stages so far. ``write_message(operation, channel, message)``
    carries notes such as "certificate not verified".
    """

    instance_result: InstanceResultCallback | None = None
    write_progress: ProgressCallback | None = None
    write_message: MessageCallback | None = None


class MessageChannel(enum.IntEnum):
    """``MI_WriteMessageChannel``."""

    WARNING = 0
    VERBOSE = 1
    DEBUG = 2
