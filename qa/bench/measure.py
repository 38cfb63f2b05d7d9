"""How ``qa bench speed`` measures: every measurement runs in a fresh interpreter (``python -m qa.bench.workers
KIND SPEC``) so that model loading, imports and peak RSS (``os.wait4`` rusage of that child) belong to the thing
measured; plus the machine description, the load average and the Chroma server's process handling."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from index.offline import child_env
from qa.bench.errors import BenchError
from qa.settings import PROJECT_ROOT, Settings

RESULT_PREFIX = "@@BENCH@@ "


def spec_settings(spec: dict) -> Settings:
    """The settings a measurement runs with: its index folder, the data folder beside it, its corpus and server."""
    index = Path(spec["index"])
    return Settings(
        corpus_dir=Path(spec.get("corpus") or PROJECT_ROOT / "corpus"),
        index_dir=index,
        data_dir=index.parent / "data",
        chroma_url=spec.get("chroma_url", ""),
    )


def run_measured(cmd: list[str], env: dict[str, str], stdin=subprocess.DEVNULL) -> dict:
    """Run ``cmd``; its stdout, wall time and peak RSS (this child only, from ``os.wait4``)."""
    started = time.time()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=stdin, env=env, text=True, cwd=PROJECT_ROOT)
    stdout = process.stdout.read()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "stdout": stdout,
        "returncode": process.returncode,
        "wall": time.time() - started,
        "maxrss_mb": usage.ru_maxrss / 1024,
        "started": started,
    }


def spawn(kind: str, spec: dict, env: dict[str, str] | None = None) -> dict:
    """Run a worker in a fresh interpreter and return its result (with ``wall`` and ``maxrss_mb``)."""
    spec = {**spec, "spawned_at": time.time()}
    cmd = [sys.executable, "-m", "qa.bench.workers", kind, json.dumps(spec, default=str)]
    run = run_measured(cmd, env or child_env())
    if run["returncode"] != 0:
        raise BenchError(f"worker {kind} failed with exit code {run['returncode']}")
    lines = [line for line in run["stdout"].splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        raise BenchError(f"worker {kind} printed no result")
    result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result["wall"] = run["wall"]
    result["maxrss_mb"] = run["maxrss_mb"]
    return result


def say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine_info() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    import importlib.metadata

    for dist in ("chromadb", "sentence-transformers", "torch", "onnxruntime", "llama-index-core", "numpy"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "-"
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": ram_gb,
        "cpu": cpu or platform.processor() or "unknown",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
    }


def stop_process(process: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited after ``grace`` seconds (a `chroma run` server, say)."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
