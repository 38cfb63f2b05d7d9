"""The index folder's generation: a small file every ingestion rewrites under the ingest lock.

Any process answering from the index (the app, ``qa ask``, a Python caller) reads it before a question
(one ``stat`` and a read of a few bytes) and, when it differs from the one its caches were built at,
reopens the store and rebuilds its keyword index: another process may have added, changed or deleted
articles, and Chroma's embedded client keeps its vector index in memory per process.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

FILE_NAME = "generation"


def generation_path(index_dir: Path) -> Path:
    return Path(index_dir) / FILE_NAME


def read_generation(index_dir: Path) -> str:
    """The current generation ("" when no ingestion has written one, or it cannot be read)."""
    try:
        return generation_path(index_dir).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def bump_generation(index_dir: Path) -> str:
    """Write a new generation (atomically); called with the ingest lock held, before and after writing."""
    path = generation_path(index_dir)
    previous = read_generation(index_dir)
    try:
        counter = int(previous.split(":", 1)[0]) + 1
    except ValueError:
        counter = 1
    value = f"{counter}:{os.getpid()}:{time.time_ns()}"
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    try:
        tmp.write_text(value + "\n", encoding="ascii")
        tmp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return value
