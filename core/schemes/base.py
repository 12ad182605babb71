"""What an authentication scheme is, and the conversation it authenticates through.

A scheme is one unit: its name, its label, the challenge names a listener offers it under, what credentials it
needs, how to enable it on a Windows listener, and ``authenticate``, which runs its exchange over the test's HTTP
client and returns the authenticated IdentifyResponse. Library errors are turned into problems inside the scheme.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

from core import offload
from core.errors import Problem, Timeout
from core.failures.classify import answer_problem
from core.http import HttpClient, Reply
from core.mi import AuthType, DestinationOptions, UserCredentials
from core.target import Endpoint
from core.wire import Deadline, Interrupter

T = TypeVar("T")


class Authenticated(NamedTuple):
    answer: bytes  # the IdentifyResponse, opened if it came sealed
    detail: str  # the auth stage's cell: "ntlm as CORP\\alice, messages encrypted"
    # Another WS-Management message through the same authentication (the same connection and context where the
    # scheme binds them; sealed and opened over HTTP): what a stage after auth sends.
    send: Callable[[bytes], Reply]
    mechanism: str = ""  # what authenticated in the end: "kerberos", "ntlm" (Negotiate's choice), "basic" …


class Conversation:
    """What a scheme authenticates through: the test's HTTP client and what the test knows of the listener."""

    def __init__(
        self,
        http: HttpClient,
        endpoint: Endpoint,
        options: DestinationOptions,
        offered: tuple[str, ...],
        peer_certificate: bytes | None,
        deadline: Deadline | None = None,
        interrupter: Interrupter | None = None,
    ) -> None:
        self.http = http
        self.endpoint = endpoint
        self.options = options
        self.offered = offered  # the listener's challenges, where a 401 showed them; updated by refused()
        self.peer_certificate = peer_certificate  # the listener's TLS certificate (DER), for channel binding
        self.deadline = deadline if deadline is not None else Deadline(10.0)
        self.interrupter = interrupter if interrupter is not None else Interrupter()
        self.kdc_realm = ""  # set while an exchange with this realm's KDC is in flight (the deadline's words)
        self.notes: tuple[str, ...] = ()  # what the test should say whatever the outcome ("Negotiate used NTLM, …")

    @property
    def sealed(self) -> bool:
        """Whether messages travel sealed (MS-WSMV): over HTTP; over HTTPS, TLS protects them."""
        return self.endpoint.transport == "http"

    @property
    def user(self) -> UserCredentials:
        creds = self.options.credentials
        assert isinstance(creds, UserCredentials)  # Scheme.missing() saw to it
        return creds

    def post(self, body: bytes, headers: dict[str, str], *, bound: bool = False) -> Reply:
        return self.http.post(body, headers, bound=bound)

    def blocking(
        self, realm: str, work: Callable[[], T], discard: Callable[[T], None] | None = None,
        within: float | None = None,
    ) -> T:
        """``work()``, an exchange with ``realm``'s KDC that nothing can interrupt, on a helper thread the test
        abandons at its deadline, after ``within`` seconds, or on a cancel (``core.offload``); ``discard`` gets
        what an abandoned one made."""
        self.kdc_realm = realm
        try:
            result = offload.call(work, self.deadline, self.interrupter, discard, within)
        except Timeout:
            if not self.deadline.expired and self.interrupter.reason is None:
                self.kdc_realm = ""  # only its share ran out: the test goes on without it
            raise
        except Problem:
            self.kdc_realm = ""
            raise
        self.kdc_realm = ""
        return result

    @property
    def stopped(self) -> bool:
        """Whether the test's deadline has passed or it was cancelled."""
        return self.deadline.expired or self.interrupter.reason is not None

    def refused(self, reply: Reply, scheme: Scheme, request_bytes: int) -> Problem:
        """An answer to an authenticated request that is neither the next challenge nor the IdentifyResponse."""
        if reply.status == 401:
            self.offered = reply.all("www-authenticate") or self.offered
            if self.offered and not scheme.offered_in(self.offered):
                return Problem("auth.not_offered")
            return Problem("auth.rejected")
        return answer_problem(reply.status, reply.header_map, reply.body, request_bytes)


class Scheme:
    """One authentication scheme. Subclasses set the class attributes and implement :meth:`authenticate`."""

    auth: AuthType
    label: str  # as the window and the docs name it
    challenge_names: tuple[str, ...] = ()  # WWW-Authenticate scheme names that mean the listener accepts it
    needs_user: bool = True  # False: it runs without a user (the current identity, or no credentials at all)
    current_identity: bool = False  # without a user it authenticates as the logged-on user (single sign-on)
    https_only: bool = False
    enable_command: str = ""  # PowerShell on the target that enables it on the WinRM service
    enable_note: str = ""  # said after the command in the hint ("use it over HTTPS only")
    test_wsman: str = ""  # its name for Test-WSMan -Authentication (the same check from a Windows PC); "" for none

    def offered_in(self, offered: tuple[str, ...]) -> bool:
        names = {challenge.split(" ", 1)[0].strip().lower() for challenge in offered}
        return any(name in names for name in self.challenge_names)

    def check(self, options: DestinationOptions) -> tuple[str, str] | None:
        """Input these options cannot be tested with: (field, why), found before any stage runs."""
        if self.https_only and options.transport != "https":
            return "transport", f"{self.auth.value} authentication needs HTTPS"
        return None

    def missing(self, options: DestinationOptions) -> str | None:
        """Why the test cannot authenticate with these options ("no credentials"), or None when it can."""
        if not self.needs_user:
            return None
        creds = options.credentials
        if not isinstance(creds, UserCredentials) or not creds.username.strip():
            return "no credentials"
        return None

    def user_label(self, options: DestinationOptions) -> str:
        creds = options.credentials
        return creds.qualified_username if isinstance(creds, UserCredentials) else ""

    def authenticate(self, conversation: Conversation) -> Authenticated:
        raise NotImplementedError


def end_point_hash(der: bytes) -> bytes | None:
    """RFC 5929 ``tls-server-end-point``: the certificate's hash with its signature's algorithm (SHA-256 at least);
    None for a certificate whose algorithm cannot be told."""
    import hashlib

    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        algorithm = x509.load_der_x509_certificate(der).signature_hash_algorithm
    except (UnsupportedAlgorithm, ValueError):
        return None
    name = algorithm.name if algorithm is not None and algorithm.name not in ("md5", "sha1") else "sha256"
    return hashlib.new(name, der).digest()


__all__ = ["Authenticated", "Conversation", "Scheme", "end_point_hash"]
