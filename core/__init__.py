"""TestConnection's session library: an MI-shaped API that tests a WinRM connection stage by stage.

with Application() as app:
    with app.new_session("srv01", options=DestinationOptions(transport="https")) as session:
        with session.test_connection() as op:
            result = op.get_instance()
"""

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
