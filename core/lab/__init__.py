"""Local WS-Management endpoints that behave like Windows WinRM and like the broken machines helpdesks meet.

Everything listens on 127.0.0.1 only. Used by the tests, the benchmarks and `testconnection --demo`.
"""

from core.lab._scenarios import KERBEROS_SCENARIOS, SCENARIOS
from core.lab.lab import DEFAULT_USERS, Lab, LabEndpoint, kerberos_unavailable_reason

__all__ = ["DEFAULT_USERS", "KERBEROS_SCENARIOS", "SCENARIOS", "Lab", "LabEndpoint", "kerberos_unavailable_reason"]
