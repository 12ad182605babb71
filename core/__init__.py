"""TestConnection's session library: an MI-shaped API that tests a WinRM connection stage by stage.

with Application() as app:
    with app.new_session("srv01", options=DestinationOptions(transport="https")) as session:
        with session.test_connection() as op:
            result = op.get_instance()

The names below are imported from their modules when first used (PEP 562): ``import core``, which every
``core.*`` import runs first, loads nothing more, so the command line's start loads only what it uses (bench 1b).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.application import Application, Session
    from core.diagnosis import Diagnosis, Failure, IdentifyInfo, StageReport, StageStatus
    from core.mi import (
        AuthType,
        CancellationReason,
        CertificateCredentials,
        DestinationOptions,
        Instance,
        InstanceResult,
        MessageChannel,
        MIErrorCategory,
        MIResult,
        OperationCallbacks,
        UserCredentials,
    )
    from core.operation import Operation
    from core.stages import STAGE_NAMES, STAGES, Stage
    from core.target import Endpoint, TargetError, parse_target

__version__ = "0.1.0"

_HOMES = {
    "core.application": ("Application", "Session"),
    "core.diagnosis": ("Diagnosis", "Failure", "IdentifyInfo", "StageReport", "StageStatus"),
    "core.mi": (
        "AuthType",
        "CancellationReason",
        "CertificateCredentials",
        "DestinationOptions",
        "Instance",
        "InstanceResult",
        "MessageChannel",
        "MIErrorCategory",
        "MIResult",
        "OperationCallbacks",
        "UserCredentials",
    ),
    "core.operation": ("Operation",),
    "core.stages": ("STAGE_NAMES", "STAGES", "Stage"),
    "core.target": ("Endpoint", "TargetError", "parse_target"),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # found directly from now on
    return value


__all__ = [
    "STAGES",
    "STAGE_NAMES",
    "Application",
    "AuthType",
    "CancellationReason",
    "CertificateCredentials",
    "DestinationOptions",
    "Diagnosis",
    "Endpoint",
    "Failure",
    "IdentifyInfo",
    "Instance",
    "InstanceResult",
    "MIErrorCategory",
    "MIResult",
    "MessageChannel",
    "Operation",
    "OperationCallbacks",
    "Session",
    "Stage",
    "StageReport",
    "StageStatus",
    "TargetError",
    "UserCredentials",
    "__version__",
    "parse_target",
]
