"""The bigbench 1.0.0 source archive on PyPI, where the SQuAD data we benchmark and train on comes from:
downloaded with pip (never installed), hash-checked, and read one member at a time."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from qa.bench.errors import BenchError

REQUIREMENT = "bigbench==1.0.0"
SDIST = "bigbench-1.0.0.tar.gz"
SDIST_SHA256 = "1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2"
# pip >= 26 refuses to download an sdist from PyPI whose metadata names a direct URL dependency, and
# bigbench's setup.py names bleurt by URL; pip 25.2 (run from its own wheel, never installed) still does.
FALLBACK_PIP = "pip==25.2"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pip_download(command: list[str]) -> subprocess.CompletedProcess:
    print("$ " + " ".join(command), file=sys.stderr)
    return subprocess.run(command, capture_output=True, text=True)


def download_sdist(cache_dir: Path) -> Path:
    """``pip download --no-deps bigbench==1.0.0`` into ``cache_dir`` (358 MB), hash-checked."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    sdist = cache_dir / SDIST
    base = ["download", "--no-deps", "--disable-pip-version-check", REQUIREMENT, "-d", str(cache_dir)]
    result = _pip_download([sys.executable, "-m", "pip", *base])
    if result.returncode != 0 and "direct URL dependenc" in result.stdout + result.stderr:
        print("this pip refuses bigbench's metadata (a direct URL dependency); using " + FALLBACK_PIP, file=sys.stderr)
        pip_dir = cache_dir / "pip"
        fetched = _pip_download(
            [sys.executable, "-m", "pip", "download", "--no-deps", FALLBACK_PIP, "-d", str(pip_dir)]
        )
        wheels = sorted(pip_dir.glob("pip-25.2-*.whl"))
        if fetched.returncode != 0 or not wheels:
            raise BenchError(f"cannot download {FALLBACK_PIP}: {fetched.stderr.strip()[-500:]}")
        result = _pip_download([sys.executable, str(wheels[0] / "pip"), *base])
    if result.returncode != 0 or not sdist.exists():
        raise BenchError(
            f"pip could not download {REQUIREMENT}: {(result.stderr or result.stdout).strip()[-800:]}\n"
            f"Since 2026-12-07 PyPI answers 403 for this version. If you have the archive (sha256 {SDIST_SHA256}), "
            f"put it at {sdist} and run again."
        )
    return sdist


def extract_member(sdist: Path, member: str, target: Path) -> Path:
    """Stream ``member`` out of the .tar.gz into ``target`` without unpacking anything else."""
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with tarfile.open(sdist, "r:gz") as archive:
            for info in archive:
                if info.name == member and info.isfile():
                    source = archive.extractfile(info)
                    assert source is not None
                    with source, open(partial, "wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
                    break
            else:
                raise BenchError(f"{sdist} has no {member}")
    except (tarfile.TarError, OSError, EOFError) as exc:
        partial.unlink(missing_ok=True)
        raise BenchError(f"cannot read {sdist} ({exc}); delete it and run again") from None
    partial.replace(target)
    return target
