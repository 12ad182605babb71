"""The pipeline of one test connection: each stage of ``core.stages`` in order, timed and reported as it ends.

A stage returns its detail (``ok``), ``None`` or :class:`~core.stages.base.Skipped` (``skipped``), or raises; what
it raises is classified once, by :func:`core.failures.classify.classify`. The probe holds what the stages learn on
the way (addresses, the connection, the listener's schemes, the IdentifyResponse). It runs on a worker thread or, for
a synchronous caller, on the caller's; :mod:`core.operation` owns threads, deadlines and callbacks.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from functools import cached_property

from core import failures, schemes
from core.diagnosis import Diagnosis, Failure, IdentifyInfo, StageReport, StageStatus, with_stage
from core.failures.classify import classify
from core.http import HttpClient
from core.mi import AuthType, DestinationOptions, UserCredentials
from core.schemes import Authenticated, Conversation, Scheme
from core.stages import STAGES, Stage, pending_stages
from core.stages.base import Skipped
from core.target import Endpoint, is_port
from core.wire import Address, Channel, Deadline, Interrupter

StageListener = Callable[[tuple[StageReport, ...], str | None], None]


def check_options(options: DestinationOptions) -> Failure | None:
    """Input errors found before any stage runs, each naming its field."""
    if options.transport not in ("http", "https"):
        return failures.invalid_input("transport", f"must be http or https, not {options.transport!r}")
    if not isinstance(options.timeout, int | float) or not 0 < options.timeout <= 3600:
        return failures.invalid_input("timeout", f"must be between 0 and 3600 seconds, not {options.timeout!r}")
    try:
        scheme = schemes.scheme(options.auth)
    except ValueError:
        return failures.invalid_input("auth", f"unknown authentication {options.auth!r}")
    problem = scheme.check(options)
    if problem is not None:
        return failures.invalid_input(*problem)
    if options.open_shell:
        from core.shell import ShellChoiceError, shell_target  # only a test that opens a shell needs it

        try:
            shell_target(options.remote_shell)
        except ShellChoiceError as exc:
            return failures.invalid_input("remote_shell", str(exc))
    if not all(is_port(p) for p in options.look_ports):
        return failures.invalid_input("look_ports", f"must be ports from 1 to 65535, not {options.look_ports!r}")
    if options.ca_file is not None:
        try:
            with open(options.ca_file, "rb"):
                pass
        except OSError as exc:
            return failures.invalid_input("ca_file", f"cannot read {options.ca_file!r} ({exc.strerror})")
    return None


class Probe:
    def __init__(
        self,
        endpoint: Endpoint,
        options: DestinationOptions,
        interrupter: Interrupter,
        deadline: Deadline,
        listener: StageListener | None,  # None: nobody follows the stages as they go
        started_at: float = 0.0,  # time.time() when the test started, for the diagnosis
    ) -> None:
        self.endpoint = endpoint
        self.options = options
        self.interrupter = interrupter
        self.deadline = deadline
        self.listener = listener
        self.started_at = started_at
        self.stages = pending_stages()
        self.identify: IdentifyInfo | None = None
        self.offered: tuple[str, ...] = ()
        self.notes: tuple[str, ...] = ()
        self.running: str | None = None
        self.stage_started = 0.0  # perf_counter() when the stage in flight began
        # What the stages learn on the way.
        self.addresses: list[Address] = []
        self.socket: socket.socket | None = None  # the connection the tcp (and tls) stage opened
        self.connect_ms = 0.0
        self.channel: Channel | None = None
        self.peer_certificate: bytes | None = None  # the listener's TLS certificate (DER), for channel binding
        self.anonymous_silent = False  # the anonymous Identify got no answer in its share of the deadline
        self.requires_authentication = False  # the listener answers Identify only to requests that authenticate
        self.untested = ""  # why authentication was not tested ("no credentials")
        self.authenticated: Authenticated | None = None  # what the auth stage opened, for any stage after it
        self.conversation: Conversation | None = None  # the auth stage's, while it runs (a KDC exchange in flight)
        self._http: HttpClient | None = None
        self._started = 0.0

    @cached_property
    def scheme(self) -> Scheme:
        # Asked for about thirty times a test (every stage, the context, each diagnosis); the options never change.
        return schemes.scheme(self.options.auth)

    @property
    def will_authenticate(self) -> bool:
        """Whether the auth stage will send credentials."""
        return self.scheme.auth is not AuthType.NONE and self.scheme.missing(self.options) is None

    def context(self) -> failures.Context:
        creds = self.options.credentials
        scheme = self.scheme
        enable = f" `{scheme.enable_command}`" if scheme.enable_command else ""
        if enable and scheme.enable_note:
            enable += f" ({scheme.enable_note})"
        return failures.Context(
            host=self.endpoint.host,
            port=self.endpoint.port,
            transport=self.endpoint.transport,
            url_prefix=self.endpoint.url_prefix,
            timeout=self.options.timeout,
            auth=scheme.auth,
            auth_label=scheme.label,
            user=creds.qualified_username if isinstance(creds, UserCredentials) else "",
            offered=self.offered,
            enable_command=scheme.enable_command,
            enable_hint=enable and f":{enable}",
            stop_reason=self.interrupter.reason,
            answered=self._http is not None and self._http.answered,
            anonymous_silent=self.anonymous_silent,
            kdc_realm=self.conversation.kdc_realm if self.conversation is not None else "",
        )

    # --- what the stages share --------------------------------------------------------------------------------

    def http_client(self) -> HttpClient:
        """The test's HTTP client, starting on the connection the tcp and tls stages opened."""
        if self._http is None:
            assert self.channel is not None
            self._http = HttpClient(self.channel, self.endpoint.host_header, f"/{self.endpoint.url_prefix}")
            if self.socket is not None:
                self._http.adopt(self.socket)
        return self._http

    def prove_wsman(self) -> None:
        """A later answer proves the service that stayed silent to the anonymous Identify."""
        report = next(s for s in self.stages if s.name == "wsman")
        if report.status is StageStatus.SKIPPED:
            offers = failures.describe_offered(self.offered)
            detail = "answers authenticated requests only" + (f"; offers {offers}" if offers else "")
            self.stages = with_stage(self.stages, report._replace(status=StageStatus.OK, detail=detail))

    # --- running ------------------------------------------------------------------------------------------------

    def run(self) -> Diagnosis:
        self._started = time.perf_counter()
        failure: Failure | None = None
        try:
            for stage in STAGES:
                failure = self._run_stage(stage)
                if failure is not None:
                    break
        finally:
            self.interrupter.close_all()
        return self.diagnosis(failure)

    def diagnosis(self, failure: Failure | None) -> Diagnosis:
        return Diagnosis(
            target=self.endpoint.label,
            endpoint=self.endpoint.url,
            stages=self.stages,
            failure=failure,
            identify=self.identify,
            offered_schemes=self.offered,
            notes=self.notes,
            elapsed_ms=_ms_since(self._started),
            started_at=self.started_at,
            running_stage=self.running,
            untested=self.untested,
            requires_authentication=self.requires_authentication,
            auth=self.scheme.auth.value,
            user=self.scheme.user_label(self.options),
            mechanism=self.authenticated.mechanism if self.authenticated is not None else "",
        )

    def _run_stage(self, stage: Stage) -> Failure | None:
        self.running = stage.name
        self.stage_started = started = time.perf_counter()
        if self.listener is not None:
            self.listener(self.stages, stage.name)
        try:
            outcome = stage.run(self) if stage.asked(self.options) else None
        except Exception as exc:  # every problem ends here, classified in one place
            failure = classify(exc, stage.name, stage.timeout_kind, self.context())
        else:
            if isinstance(outcome, str):
                report = StageReport(stage.name, StageStatus.OK, _ms_since(started), outcome)
            else:
                detail = outcome.detail if isinstance(outcome, Skipped) else stage.skip_reason
                report = StageReport(stage.name, StageStatus.SKIPPED, _ms_since(started), detail)
            self._record(report)
            return None
        if failure.stage not in (None, stage.name):  # an earlier layer failed, though this stage noticed it
            self.stages = with_stage(self.stages, StageReport(stage.name, StageStatus.NOT_RUN))
            self._record(StageReport(failure.stage, StageStatus.FAILED, _ms_since(started), failure.detail))
            return failure
        self._record(StageReport(stage.name, StageStatus.FAILED, _ms_since(started), failure.detail))
        return failure._replace(stage=stage.name)

    def _record(self, report: StageReport) -> None:
        self.stages = with_stage(self.stages, report)
        self.running = None
        self.stage_started = time.perf_counter()  # a cancel between stages charges the next one from here
        if self.listener is not None:
            self.listener(self.stages, None)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


__all__ = ["Probe", "check_options"]
