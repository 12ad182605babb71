"""First start on Linux: Qt's X11 platform plugin (xcb) needs X libraries a minimal desktop or server may lack
(``libxcb-cursor0`` most often). Without them Qt prints a long message and aborts. This looks first, before the
application object exists, and says which packages to install, by their Debian/Ubuntu and Fedora names.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from gui.qt import QLibraryInfo

# What the xcb plugin and its Qt library load, and the packages that hold them.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
}
_SONAME = re.compile(r"(lib[\w.+-]+?\.so(?:\.\d+)*)")


def uses_xcb(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt would open its windows through X11 (xcb) here."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    # Unset: Qt 6 prefers Wayland in a Wayland session, and falls back to X11 only when that fails.
    return not (env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"))


def xcb_plugin(env: Mapping[str, str] = os.environ) -> Path:
    folder = env.get("QT_QPA_PLATFORM_PLUGIN_PATH") or str(
        Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms")
    return Path(folder) / "libqxcb.so"


def missing_libraries(plugin: Path) -> dict[str, str]:
    """The libraries ``plugin`` needs that cannot be loaded, each with why (empty: it loads)."""
    try:
        ctypes.CDLL(str(plugin))  # the loader itself: what Qt will do, with the same search path
    except OSError as exc:
        first = str(exc)
    else:
        return {}
    missing: dict[str, str] = {}
    ldd = shutil.which("ldd")
    if ldd is not None:  # every missing one at once, so one install fixes it
        listed = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=10, check=False)
        for line in (listed.stdout + listed.stderr).splitlines():
            if "not found" in line:
                missing[line.split("=>")[0].strip()] = "not found"
    names = [n for n in _SONAME.findall(first) if Path(n).name != plugin.name]
    if names:
        missing.setdefault(Path(names[-1]).name, first.split(": ", 1)[-1].strip())
    return missing or {plugin.name: first}


def report(missing: Mapping[str, str]) -> str:
    """What to tell the user: the libraries, and the install commands for Debian/Ubuntu and Fedora."""
    debian = sorted({PACKAGES[name][0] for name in missing if name in PACKAGES})
    fedora = sorted({PACKAGES[name][1] for name in missing if name in PACKAGES})
    unknown = [name for name in missing if name not in PACKAGES]
    lines = ["TestConnection cannot open its window: Qt's X11 (xcb) platform plugin needs libraries that this "
             "system does not have:"]
    lines += [f"  {name} ({why})" for name, why in sorted(missing.items())]
    if debian:
        lines += ["Install them, then start TestConnection again:",
                  f"  Debian / Ubuntu:  sudo apt install {' '.join(debian)}",
                  f"  Fedora:           sudo dnf install {' '.join(fedora)}"]
    if unknown:
        lines.append(f"Install the package that provides {', '.join(unknown)} (your distribution's search, e.g. "
                     "apt-file search or dnf provides, names it).")
    lines.append("The command line, testconnection-cli, needs none of these.")
    return "\n".join(lines)


def problem(env: Mapping[str, str] = os.environ) -> str | None:
    """None when the window can open as far as can be told before trying; else what to tell the user."""
    if not uses_xcb(env):
        return None
    if not env.get("DISPLAY"):
        return ("TestConnection cannot open its window: there is no X display (DISPLAY is not set). Start it from "
                "a desktop session, or over SSH with X forwarding (ssh -X). The command line, testconnection-cli, "
                "needs no display.")
    plugin = xcb_plugin(env)
    if not plugin.is_file():
        return None  # an unusual Qt build: let Qt say what it finds
    missing = missing_libraries(plugin)
    return report(missing) if missing else None
