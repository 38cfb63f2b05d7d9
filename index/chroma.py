"""Opening Chroma: an embedded store on disk (re-read afresh when another process changed it, answered from a
private copy when its folder is read-only) or a server; and the error every store problem is reported as."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from index.errors import UserError
from index.settings import IndexSettings

READ_ONLY_PUBLIC = (
    "the article index is read-only, so articles cannot be added or deleted here (questions are still answered); "
    "the operator can make its folder writable"
)


class StoreError(UserError, RuntimeError):
    """The store cannot be opened or used; the message says what to do (for the operator: it may name
    folders and the library's error). ``public`` says it without those, for the chat's users."""

    def __init__(self, message: str, public: str = ""):
        super().__init__(message)
        self.public = public or message


class EmbeddingModelMismatch(StoreError):
    pass


def _forget_embedded_system(path: Path) -> None:
    """Make the next ``PersistentClient`` for ``path`` a new Chroma system that reads the folder afresh.

    Chroma keeps one system per folder and process, with the vector index in memory: what another process
    wrote since is missing from its searches (and ids it deleted come back without metadata). Clients made
    before keep the old system until they are dropped, so a search already running finishes undisturbed."""
    from chromadb.api.shared_system_client import SharedSystemClient

    with SharedSystemClient._refcount_lock:
        SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)


def chroma_client(settings: IndexSettings, create: bool, fresh: bool = False):
    """A Chroma client for ``settings``; ``fresh``: an embedded store re-read from disk (see above)."""
    import chromadb

    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_url}: {exc}",
                "the article index server cannot be reached; the server log says why",
            ) from None
        return client
    path = Path(settings.index_dir) / "chroma"
    if not create and not path.exists():
        raise StoreError(
            f"no index at {settings.index_dir}: run `qa ingest` first",
            "there is no article index yet: add articles in the Corpus tab, or run `qa ingest`",
        )
    if path.exists() and not os.access(path, os.W_OK):
        path = _read_only(path, create)
    if fresh:
        _forget_embedded_system(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(
            f"cannot open the index at {path}: {exc}", "the article index cannot be opened; the server log says why"
        ) from None


def check_writable(settings: IndexSettings) -> None:
    """StoreError when an ingestion could not write the embedded index (its folder or Chroma's is read-only),
    checked before anything is changed, so a refused upload or delete leaves the corpus folder as it was."""
    if settings.chroma_url:
        return
    for folder in (Path(settings.index_dir), Path(settings.index_dir) / "chroma"):
        if folder.exists() and not os.access(folder, os.W_OK):
            raise StoreError(
                f"the index folder {folder} is read-only, so articles cannot be added or deleted: make it writable, "
                "or copy it and point QA_INDEX_DIR at the copy",
                READ_ONLY_PUBLIC,
            )


def _read_only(path: Path, create: bool) -> Path:
    """The folder Chroma opens for a read-only ``path``: a private copy to answer from (index/readonly.py), or
    StoreError when it is to be written (an ingestion) or cannot be copied."""
    from index.readonly import COPIES, TooLargeToCopy

    fix = "make it writable, or copy it and point QA_INDEX_DIR at the copy"
    if create:
        raise StoreError(
            f"the index folder {path} is read-only, so articles cannot be added or deleted: {fix}",
            READ_ONLY_PUBLIC,
        )
    try:
        return COPIES.readable_copy(path)
    except (OSError, TooLargeToCopy) as exc:
        raise StoreError(
            f"the index folder {path} is read-only, and Chroma writes to it even to answer a question; a copy to "
            f"answer from could not be made ({exc}): {fix}",
            "the article index is read-only and too large to answer from a copy; the operator can make its folder "
            "writable",
        ) from None
