"""The results table's columns and the roles its cells answer besides their text."""

from __future__ import annotations

import enum

from core import STAGES
from gui.qt import Qt

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
STATE_ROLE = Qt.ItemDataRole.UserRole + 3
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 4  # what the filter box searches, in lower case



class Column(enum.IntEnum):
    STATUS = 0
    TARGET = 1
    PROBLEM = 2
    DNS = 3
    TCP = 4
    TLS = 5
    WSMAN = 6
    AUTH = 7
    ENDPOINT = 8
    TIME = 9
    VERSION = 10
    WATCH = 11


HEADERS = {
    Column.STATUS: "Status",
    Column.TARGET: "Target",
    Column.PROBLEM: "Problem",
    Column.DNS: "DNS",
    Column.TCP: "TCP",
    Column.TLS: "TLS",
    Column.WSMAN: "WS-Man",
    Column.AUTH: "Auth",
    Column.ENDPOINT: "Endpoint",
    Column.TIME: "Time",
    Column.VERSION: "Product version",
    Column.WATCH: "Watch",
}
HEADER_TIPS = {
    Column.PROBLEM: "What is wrong, in plain words (or OK and what answered). Sort by it to group equal problems.",
    Column.DNS: "Name resolution",
    Column.TCP: "TCP connection to the port",
    Column.TLS: "HTTPS handshake and certificate (skipped on HTTP)",
    Column.WSMAN: "A WS-Management service answers the anonymous Identify",
    Column.AUTH: "The credentials are accepted (skipped without authentication)",
    Column.VERSION: "The ProductVersion the service answered",
    Column.WATCH: "While watching: up or down since when, and how many tests passed and failed",
}
STAGE_COLUMNS = {Column.DNS: "dns", Column.TCP: "tcp", Column.TLS: "tls", Column.WSMAN: "wsman", Column.AUTH: "auth"}
assert tuple(STAGE_COLUMNS.values()) == STAGES
# Shown until the user chooses otherwise (the header's context menu); the others can be turned on there.
OPTIONAL = frozenset({Column.VERSION, Column.WATCH})
# Widths that fit the default columns into a 1366-px laptop screen beside the Targets panel.
# (The Targets panel takes about 380 px of a 1366-px window; the table's viewport keeps about 960, less a
# vertical scroll bar. tests/test_gui_table.py checks it.)
WIDTHS = {Column.STATUS: 88, Column.TARGET: 140, Column.PROBLEM: 240, Column.DNS: 36, Column.TCP: 36,
          Column.TLS: 36, Column.WSMAN: 56, Column.AUTH: 40, Column.ENDPOINT: 180, Column.TIME: 56,
          Column.VERSION: 220, Column.WATCH: 220}
