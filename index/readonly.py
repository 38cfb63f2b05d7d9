"""Answering from a read-only index folder: Chroma is opened on a private copy of it.

Chroma 1.5.9 writes to its folder even to answer a question (opening and querying a copy of the seed index
changed ``chroma.sqlite3`` and the vector segment's ``length.bin``), and has no read-only mode. So when the
``chroma`` folder cannot be written, ``readable_copy`` copies it into a temporary folder (the seed index, 53
passages, is 0.9 MB) and the store reads that. The copy is reused while the source is unchanged
(same files, sizes and modification times) and removed when the process exits.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
from pathlib import Path

log = logging.getLogger("index.readonly")
MAX_COPY_BYTES = 2_000_000_000  # a bigger read-only index is refused with a plain message instead of copied


class TooLargeToCopy(RuntimeError):
    pass


def _signature(folder: Path) -> tuple:
    return tuple(
        sorted(
            (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")
            if p.is_file()
        )
    )


class ReadOnlyCopies:
    """Private copies of read-only Chroma folders, one per folder and version of its files."""

    def __init__(self, max_bytes: int = MAX_COPY_BYTES):
        self.max_bytes = max_bytes
        self._copies: dict[str, tuple[tuple, Path]] = {}
        self._lock = threading.Lock()
        atexit.register(self.remove_all)

    def readable_copy(self, folder: Path) -> Path:
        """A writable copy of ``folder`` that Chroma can open (OSError when it cannot be read)."""
        folder = Path(folder)
        with self._lock:
            signature = _signature(folder)
            known = self._copies.get(str(folder))
            if known and known[0] == signature and known[1].exists():
                return known[1]
            size = sum(entry[1] for entry in signature)
            if size > self.max_bytes:
                raise TooLargeToCopy(f"{size:,} bytes")
            target = Path(tempfile.mkdtemp(prefix="qa-read-only-index-")) / folder.name
            shutil.copytree(folder, target)
            target.chmod(0o700)
            for path in target.rglob("*"):
                path.chmod(0o700 if path.is_dir() else 0o600)
            if known:
                shutil.rmtree(known[1].parent, ignore_errors=True)
            self._copies[str(folder)] = (signature, target)
            log.warning("the index folder %s is read-only: answering from a copy in %s", folder, target)
            return target

    def remove_all(self) -> None:
        with self._lock:
            for _, copy in self._copies.values():
                shutil.rmtree(copy.parent, ignore_errors=True)
            self._copies.clear()


COPIES = ReadOnlyCopies()  # one per process: each copy is made once, whoever opens the folder
