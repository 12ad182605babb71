"""Packaging checks that do not build: the spec, build.py and the Windows version resource.

Building takes minutes, so CI builds separately (``python packaging/build.py``) and then points
``TESTCONNECTION_DIST`` at the result; only then does the smoke test here run the built programs.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import cast

import pytest

import core

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "testconnection.spec"
BUILD = PACKAGING / "build.py"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def version_info() -> ModuleType:
    return _load("testconnection_packaging_version_info", PACKAGING / "version_info.py")


def _call_keywords(tree: ast.AST, function: str) -> list[dict[str, ast.expr]]:
    return [
        {k.arg: k.value for k in node.keywords if k.arg}
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function
    ]


def test_spec_compiles_and_names_both_programs() -> None:
    source = SPEC.read_text(encoding="utf-8")
    compile(source, str(SPEC), "exec")
    tree = ast.parse(source)
    constants = {
        t.id: node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    exes = _call_keywords(tree, "EXE")
    assert len(exes) == 2
    names = {
        constants[name.id] if isinstance(name := e["name"], ast.Name) else cast(ast.Constant, name).value for e in exes
    }
    assert names == {"TestConnection", "testconnection-cli"}
    consoles = {
        constants[cast(ast.Name, e["name"]).id]: console.value
        for e in exes
        if isinstance(console := e["console"], ast.Constant)
    }
    assert consoles == {"TestConnection": False, "testconnection-cli": True}
    assert len(_call_keywords(tree, "Analysis")) == 2
    for entry in ("entry_gui.py", "entry_cli.py"):
        assert entry in source
        compile((PACKAGING / entry).read_text(encoding="utf-8"), entry, "exec")


def test_spec_keeps_the_resources_and_offscreen_plugin_and_drops_unused_qt() -> None:
    source = SPEC.read_text(encoding="utf-8")
    assert '"gui/resources"' in source
    assert "testconnection.ico" in source
    for unused in ("QtWebEngineCore", "QtQml", "QtQuick", "Qt3DCore", "QtMultimedia", "QtPdf", "tkinter"):
        assert f'"{unused}"' in source
    for needed in ("QtSvg", "offscreen", "xcb", "platforms"):
        assert f'"{needed}"' not in source.split("QT_UNUSED")[1].split("def wanted")[0]
    for module in ("spnego", "h11"):  # imported lazily by core, so named for the import analysis
        assert module in source


def test_build_help_works() -> None:
    result = subprocess.run(
        [sys.executable, str(BUILD), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--dist" in result.stdout
    assert "--smoke" in result.stdout


def test_version_resource_is_filled_from_core_version(version_info: ModuleType, tmp_path: Path) -> None:
    assert version_info.project_version() == core.__version__
    path = version_info.write(tmp_path / "v.txt", core.__version__, "TestConnection", "desc")
    text = path.read_text(encoding="utf-8")
    numbers = version_info.version_tuple(core.__version__)
    assert f"filevers={numbers}" in text
    assert f"prodvers={numbers}" in text
    assert f"StringStruct('FileVersion', {core.__version__!r})" in text
    assert f"StringStruct('ProductVersion', {core.__version__!r})" in text
    assert "StringStruct('OriginalFilename', 'TestConnection.exe')" in text
    # PyInstaller evals the file with its version classes in scope; the text must at least be one Python expression.
    ast.parse("\n".join(line for line in text.splitlines() if not line.startswith("#")), mode="eval")


def test_version_resource_evaluates_like_pyinstaller_reads_it(version_info: ModuleType, tmp_path: Path) -> None:
    # PyInstaller evals the file with its VSVersionInfo classes in scope (their module needs pefile, which exists on
    # Windows only); stand-ins that record their arguments check the same expression on every OS.
    def recorder(kind: str):  # type: ignore[no-untyped-def]
        return lambda *args, **kwargs: (kind, args, kwargs)

    names = (
        "VSVersionInfo",
        "FixedFileInfo",
        "StringFileInfo",
        "StringTable",
        "StringStruct",
        "VarFileInfo",
        "VarStruct",
    )
    path = version_info.write(tmp_path / "v.txt", core.__version__, "testconnection-cli", "desc")
    kind, _, fields = eval(path.read_text(encoding="utf-8"), {n: recorder(n) for n in names})  # noqa: S307
    assert kind == "VSVersionInfo"
    assert fields["ffi"][2]["filevers"] == version_info.version_tuple(core.__version__)
    table = fields["kids"][0][1][0][0]
    strings = {s[1][0]: s[1][1] for s in table[1][1]}
    assert strings["FileVersion"] == strings["ProductVersion"] == core.__version__
    assert strings["OriginalFilename"] == "testconnection-cli.exe"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("2.3.4.5.6", (2, 3, 4, 5)),
        ("1.0.0rc1", (1, 0, 0, 0)),
        ("v3.1.4+local", (3, 1, 4, 0)),
    ],
)
def test_version_tuple(version_info: ModuleType, version: str, expected: tuple[int, ...]) -> None:
    assert version_info.version_tuple(version) == expected


def test_smoke_test_of_a_build() -> None:
    dist = os.environ.get("TESTCONNECTION_DIST")
    if not dist:
        pytest.skip("no build given (set TESTCONNECTION_DIST)")
    result = subprocess.run(
        [sys.executable, str(BUILD), "--smoke", "--dist", dist],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- the one pinned dependency set (packaging/requirements.txt) -------------------------------------------------


def _pins() -> dict[str, tuple[str, str]]:
    """name -> (version, marker text) of every pin in packaging/requirements.txt; each pin must carry hashes."""
    import re

    from packaging.requirements import Requirement

    pins = {}
    joined = re.sub(r"\\\n\s*", " ", (PACKAGING / "requirements.txt").read_text(encoding="utf-8"))
    for line in joined.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement, *hashes = line.split(" --hash=")
        parsed = Requirement(requirement.strip())
        assert hashes and all(h.startswith("sha256:") for h in hashes), f"{parsed.name} is pinned without hashes"
        (specifier,) = parsed.specifier
        assert specifier.operator == "==", f"{parsed.name} is not pinned exactly"
        pins[parsed.name.lower().replace("_", "-")] = (specifier.version, str(parsed.marker or ""))
    return pins


def test_the_lock_pins_every_runtime_and_packaging_dependency_of_pyproject() -> None:
    # A dependency added, dropped or re-ranged in pyproject.toml without regenerating the lock fails here, with
    # the command to run (see the lock's header).
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = _pins()
    for text in [*project["dependencies"], *project["optional-dependencies"]["packaging"]]:
        wanted = Requirement(text)
        name = wanted.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in packaging/requirements.txt: regenerate it (command in its header)"
        assert wanted.specifier.contains(pins[name][0]), f"{name}=={pins[name][0]} does not satisfy {text!r}"


def test_windows_gets_its_own_dependencies_from_the_lock() -> None:
    # The Wine build decides the lock's markers for Windows itself: pip, run on Linux, would judge them by Linux.
    sys.path.insert(0, str(PACKAGING))
    try:
        runtime = _load("testconnection_windows_runtime", PACKAGING / "windows_runtime.py")
    finally:
        sys.path.remove(str(PACKAGING))
    names = {line.split("==")[0] for line in runtime.windows_requirements().splitlines()}
    assert {"pywin32-ctypes", "sspilib", "pefile", "pyinstaller", "pyside6-essentials", "keyring"} <= names
    assert not names & {"jeepney", "secretstorage", "macholib"}  # Linux's and macOS's only
    assert all("--hash=sha256:" in line for line in runtime.windows_requirements().splitlines())


# --- what the Windows programs look like -----------------------------------------------------------------------


def test_the_manifest_asks_for_per_monitor_dpi_and_long_paths_and_both_programs_get_it() -> None:
    from defusedxml import ElementTree

    settings = "{http://schemas.microsoft.com/SMI/2016/WindowsSettings}"
    root = ElementTree.parse(PACKAGING / "testconnection.manifest").getroot()
    assert root.findtext(f".//{settings}dpiAwareness", "").split(",")[0] == "PerMonitorV2"
    assert root.findtext(f".//{settings}longPathAware") == "true"
    exes = _call_keywords(ast.parse(SPEC.read_text(encoding="utf-8")), "EXE")
    assert all(isinstance(manifest := e.get("manifest"), ast.Name) and manifest.id == "MANIFEST" for e in exes)
    assert '"testconnection.manifest"' in SPEC.read_text(encoding="utf-8")


def test_dependency_exclusions_reach_both_programs() -> None:
    source = SPEC.read_text(encoding="utf-8")
    dependencies = source.split("DEPENDENCIES = {", 1)[1].split("}", 1)[0]
    assert '"winrm"' not in dependencies and '"requests' not in dependencies  # no longer on the product's path
    analyses = _call_keywords(ast.parse(source), "Analysis")
    assert all("DEPENDENCY_UNUSED" in ast.unparse(a["excludes"]) for a in analyses)
    # MIT Kerberos' libraries are the target's own, in both programs.
    assert "gui_analysis.binaries = [b for b in gui_analysis.binaries if wanted(b)]" in source
    assert "cli_analysis.binaries = [b for b in cli_analysis.binaries if wanted(b)]" in source
