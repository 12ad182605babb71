"""What a test connection found: the stages, what answered, and what failed in Windows' own terms."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NamedTuple

from core.mi import Instance, MIErrorCategory, MIResult

if TYPE_CHECKING:
    from core.failures.kinds import Fix


class StageStatus(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOT_RUN = "not_run"
    CANCELLED = "cancelled"


# NamedTuples, as in core.mi: immutable records that cost the command line's start little to define.
class StageReport(NamedTuple):
    name: str
    status: StageStatus
    elapsed_ms: float = 0.0
    detail: str = ""


class IdentifyInfo(NamedTuple):
    """The parts of an IdentifyResponse a helpdesk reads."""

    protocol_version: str
    product_vendor: str
    product_version: str
    security_profiles: tuple[str, ...] = ()
    authenticated: bool = False

    def as_instance(self) -> Instance:
        return Instance(
            "IdentifyResponse",
            {
                "ProtocolVersion": self.protocol_version,
                "ProductVendor": self.product_vendor,
                "ProductVersion": self.product_version,
                "SecurityProfiles": list(self.security_profiles),
            },
        )


class Failure(NamedTuple):
    """A classified failure: one kind of the catalogue (``core.failures``), worded for this test."""

    stage: str | None
    result: MIResult
    category: MIErrorCategory
    message: str
    hint: str
    windows_code: int | None = None
    wsman_fault_code: int | None = None
    detail: str = ""  # the short text shown in the stage's cell
    kind: str = "unexpected"  # the catalogue's stable id, e.g. "tcp.refused"
    problem: str = ""  # the reason in a few plain words, e.g. "Port 5985 closed — WinRM not listening"
    fixes: tuple[Fix, ...] = ()  # commands that fix or check it, the target's name and port filled in

    @property
    def message_id(self) -> str:
        """``MessageID`` as Windows prints it: ``HRESULT 0x80338012``, ``Win32 5`` or the MI result name."""
        code = self.windows_code
        if code is None:
            return self.result.mi_name
        return f"HRESULT 0x{code:08X}" if code > 0xFFFF else f"Win32 {code}"

    def as_error_details(self) -> Instance:
        """An ``MSFT_WmiError``-shaped instance, as a Windows MI client returns in ``errorDetails``."""
        if self.windows_code is None:
            error_type, error_code = "MI", int(self.result)
        else:
            error_type = "HRESULT" if self.windows_code > 0xFFFF else "Win32"
            error_code = self.windows_code
        return Instance(
            "MSFT_WmiError",
            {
                "CIMStatusCode": int(self.result),
                "Message": self.message,
                "MessageID": self.message_id,
                "OwningEntity": "TestConnection",
                "error_Code": error_code,
                "error_Type": error_type,
                "error_Category": int(self.category),
                "error_WindowsErrorMessage": self.hint,
                "WSManFaultCode": self.wsman_fault_code,
            },
        )


class Diagnosis(NamedTuple):
    """The whole story of one test connection."""

    target: str
    endpoint: str
    stages: tuple[StageReport, ...]
    failure: Failure | None = None
    identify: IdentifyInfo | None = None
    offered_schemes: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    elapsed_ms: float = 0.0
    started_at: float = 0.0  # time.time() when the test started
    running_stage: str | None = None  # set while the test is in flight
    untested: str = ""  # why authentication was not tested ("no credentials"): a neutral result, not a failure
    requires_authentication: bool = False  # the listener answers Identify only to requests that authenticate
    auth: str = ""  # the scheme tested with (an AuthType value)
    user: str = ""  # the user name it was tested as (never a password), "" for none or the current identity
    mechanism: str = ""  # what authenticated: "kerberos" or "ntlm" (Negotiate's choice), "basic" …; "" if nothing did

    @property
    def ok(self) -> bool:
        return self.failure is None and self.running_stage is None

    @property
    def failed_stage(self) -> str | None:
        return None if self.failure is None else self.failure.stage

    @property
    def result(self) -> MIResult:
        return MIResult.OK if self.failure is None else self.failure.result

    @property
    def hint(self) -> str | None:
        return None if self.failure is None else self.failure.hint

    @property
    def cancelled(self) -> bool:
        return self.failure is not None and self.failure.category is MIErrorCategory.OPERATION_STOPPED

    def stage(self, name: str) -> StageReport:
        for report in self.stages:
            if report.name == name:
                return report
        raise KeyError(name)


def with_stage(stages: tuple[StageReport, ...], report: StageReport) -> tuple[StageReport, ...]:
    for index, stage in enumerate(stages):
        if stage.name == report.name:
            return (*stages[:index], report, *stages[index + 1 :])
    return stages


__all__ = [
    "Diagnosis",
    "Failure",
    "IdentifyInfo",
    "StageReport",
    "StageStatus",
    "with_stage",
]
