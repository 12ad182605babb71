"""The results table's columns and the roles its cells answer besides their text."""

from __future__ import annotations

import enum

from core import STAGES
from gui.qt import Qt

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3

class Column(enum.IntEnum):
    STATUS = 0
    TARGET = 1
    ENDPOINT = 2
    DNS = 3
    TCP = 4
    TLS = 5
    WSMAN = 6
    AUTH = 7
    TIME = 8
    VERSION = 9
    VERDICT = 10


HEADERS = {
    Column.STATUS: "Status",
    Column.TARGET: "Target",
    Column.ENDPOINT: "Endpoint",
    Column.DNS: "DNS",
    Column.TCP: "TCP",
    Column.TLS: "TLS",
    Column.WSMAN: "WS-Man",
    Column.AUTH: "Auth",
    Column.TIME: "Time",
    Column.VERSION: "Product version",
    Column.VERDICT: "Verdict",
}
HEADER_TIPS = {
    Column.DNS: "Name resolution",
    Column.TCP: "TCP connection to the port",
    Column.TLS: "HTTPS handshake and certificate (skipped on HTTP)",
    Column.WSMAN: "A WS-Management service answers the anonymous Identify",
    Column.AUTH: "The credentials are accepted (skipped without authentication)",
}
STAGE_COLUMNS = {Column.DNS: "dns", Column.TCP: "tcp", Column.TLS: "tls", Column.WSMAN: "wsman", Column.AUTH: "auth"}
assert tuple(STAGE_COLUMNS.values()) == STAGES
