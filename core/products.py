"""What answered, in words: a Windows build as its product name ("Windows Server 2022 (10.0.20348)")."""

from __future__ import annotations

import re

# Windows builds as WS-Management reports them ("OS: 10.0.20348 SP: 0.0 Stack: 3.0"). A server and a client
# release share some builds; both are named there, as the build alone cannot tell them apart.
WINDOWS_BUILDS = {
    "6.1.7600": "Windows Server 2008 R2 / Windows 7",
    "6.1.7601": "Windows Server 2008 R2 SP1 / Windows 7 SP1",
    "6.2.9200": "Windows Server 2012 / Windows 8",
    "6.3.9600": "Windows Server 2012 R2 / Windows 8.1",
    "10.0.10240": "Windows 10 1507",
    "10.0.10586": "Windows 10 1511",
    "10.0.14393": "Windows Server 2016 / Windows 10 1607",
    "10.0.15063": "Windows 10 1703",
    "10.0.16299": "Windows 10 1709",
    "10.0.17134": "Windows 10 1803",
    "10.0.17763": "Windows Server 2019 / Windows 10 1809",
    "10.0.18362": "Windows 10 1903",
    "10.0.18363": "Windows 10 1909",
    "10.0.19041": "Windows 10 2004",
    "10.0.19042": "Windows 10 20H2",
    "10.0.19043": "Windows 10 21H1",
    "10.0.19044": "Windows 10 21H2",
    "10.0.19045": "Windows 10 22H2",
    "10.0.20348": "Windows Server 2022",
    "10.0.22000": "Windows 11 21H2",
    "10.0.22621": "Windows 11 22H2",
    "10.0.22631": "Windows 11 23H2",
    "10.0.25398": "Windows Server 23H2",
    "10.0.26100": "Windows Server 2025 / Windows 11 24H2",
    "10.0.26200": "Windows 11 25H2",
}
_OS_VERSION = re.compile(r"OS:\s*(\d+\.\d+\.\d+)")


def product_name(vendor: str, product_version: str) -> str:
    """"Windows Server 2022 (10.0.20348)" from Windows' "OS: 10.0.20348 SP: 0.0 Stack: 3.0"; the raw version
    where the build is not known; another vendor's name and version as they answered."""
    match = _OS_VERSION.search(product_version)
    if match is None:
        return " ".join(part for part in (vendor.strip(), product_version.strip()) if part) or "no version given"
    build = match.group(1)
    if build == "0.0.0":  # Windows tells the OS version to an authenticated Identify only
        return "Windows (OS version shown only after authentication)"
    name = WINDOWS_BUILDS.get(build)
    return f"{name} ({build})" if name else f"Windows {build}"
