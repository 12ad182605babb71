"""The ordered registry of stages: what a test connection checks, layer by layer.

The diagnosis, the exports, the window's columns, the demo's folders and the deadline's wording all iterate over
``STAGES``; adding a stage is adding one unit here (plus its lab scenarios and tests).
"""

from __future__ import annotations

from core.diagnosis import StageReport, StageStatus
from core.stages import auth, connect, session, tls, wsman
from core.stages.base import Stage

STAGES: tuple[Stage, ...] = (connect.DNS, connect.TCP, tls.TLS, wsman.WSMAN, auth.AUTH, session.SESSION)
STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in STAGES)
_BY_NAME = {stage.name: stage for stage in STAGES}
_PENDING = tuple(StageReport(stage.name, StageStatus.NOT_RUN) for stage in STAGES)


def stage(name: str) -> Stage:
    return _BY_NAME[name]


def pending_stages() -> tuple[StageReport, ...]:
    """Every stage not run yet; reports are frozen, so every test shares one tuple."""
    return _PENDING


__all__ = ["STAGES", "STAGE_NAMES", "Stage", "pending_stages", "stage"]
