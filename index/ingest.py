"""Incremental ingestion by content hash: unchanged articles are skipped, changed ones replaced,
removed ones deleted. One ingestion at a time per index folder (a file lock serialises them)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.chroma import READ_ONLY_PUBLIC, StoreError
from index.dates import date_number
from index.embed import Embedder, passage_text_for_embedding
from index.generation import bump_generation
from index.language import LANGUAGE_VERSION, LanguageDetector
from index.load import ArticleError, Skipped, corpus_files, load_article
from index.multilingual import multilingual_collection, sync_multilingual
from index.settings import IndexSettings
from index.split import SPLITTER_VERSION, passage_limit_error, split_article
from index.store import PassageStore, now
from index.types import Article, Passage

BATCH_PASSAGES = 256


@dataclass(frozen=True)
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    passages_embedded: int = 0
    seconds: float = 0.0
    multilingual_embedded: int = 0  # non-English passages embedded with e5 as well (index/multilingual.py)
    multilingual_seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.deleted)} deleted",
            f"{self.unchanged} unchanged",
            f"{len(self.skipped)} skipped",
            f"{self.passages_embedded} passages embedded in {self.seconds:.1f} s",
        ]
        if self.multilingual_embedded:
            parts.append(
                f"{self.multilingual_embedded} non-English passages embedded with e5 in {self.multilingual_seconds:.1f} s"
            )
        return ", ".join(parts)


def content_hash(article: Article, embed_model: str) -> str:
    digest = hashlib.sha256()
    for part in (
        SPLITTER_VERSION,
        LANGUAGE_VERSION,  # every passage carries its language: a new detector re-ingests
        embed_model,
        article.title,
        article.published,
        article.byline,
        article.date or "",
        article.site,
        article.url,
        ",".join(map(str, article.page_starts)),
        article.text,
    ):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


@contextlib.contextmanager
def ingest_lock(settings: IndexSettings) -> Iterator[None]:
    """An exclusive lock on the index folder; a second ingestion waits for the first to finish."""
    folder = Path(settings.index_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / "ingest.lock", "a+")  # noqa: SIM115
    except OSError as exc:
        read_only = exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        raise StoreError(
            f"the index folder {folder} is read-only ({exc.strerror}), so articles cannot be added or deleted: make "
            "it writable, or copy it and point QA_INDEX_DIR at the copy"
            if read_only
            else f"cannot write to the index folder {folder}: {exc.strerror}",
            READ_ONLY_PUBLIC if read_only else "the article index folder cannot be written; the server log says why",
        ) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


ProgressFn = Callable[[int, int, str], None]  # (done, total, what)


def load_corpus(corpus_dir: Path) -> tuple[list[Article], list[Skipped]]:
    articles, skipped = [], []
    for path in corpus_files(corpus_dir):
        try:
            articles.append(load_article(path, corpus_dir))
        except (ArticleError, OSError) as exc:
            skipped.append(Skipped(str(path), str(exc)))
    return articles, skipped


def ingest(
    settings: IndexSettings,
    embedder: Embedder,
    corpus_dir: Path | None = None,
    progress: ProgressFn | None = None,
    rebuild: bool = False,
    detector: LanguageDetector | None = None,
    e5=None,
    store_factory: Callable[..., PassageStore] = PassageStore,
) -> IngestReport:
    """Bring the store in line with the corpus folder. ``detector`` (built here when not given) labels every
    passage with its language; with ``settings.multilingual`` the non-English ones are also embedded with
    ``e5`` (an ``index.multilingual.E5Encoder``, built here only when there is something to embed).
    ``store_factory(settings, model_name, dim)`` opens the store (a timed subclass in ``qa bench speed``)."""
    import time

    started = time.perf_counter()
    corpus_dir = Path(corpus_dir or settings.corpus_dir)
    articles, skipped = load_corpus(corpus_dir)
    with ingest_lock(settings):
        if rebuild:
            _drop_collection(settings, settings.collection)
            _drop_collection(settings, multilingual_collection(settings))
        store = store_factory(settings, embedder.name, embedder.dim)
        stored, versions = store.inventory()  # one pass over the store's metadata, nothing per article
        wanted = {a.id: a for a in articles}
        digests = {a.id: content_hash(a, embedder.name) for a in articles}
        deleted = sorted(set(stored) - set(wanted))
        todo: list[tuple[Article, str, list[Passage]]] = []
        unchanged = 0
        added, updated = [], []
        for article in articles:
            digest = digests[article.id]
            record = stored.get(article.id)
            if record and record.complete and record.content_hash == digest:
                unchanged += 1
                continue
            passages = split_article(article)
            refusal = passage_limit_error(len(passages))
            if refusal:
                skipped.append(Skipped(article.source or article.id, refusal))
                continue
            (updated if record else added).append(article.id)
            todo.append((article, digest, passages))
        stale = [
            i
            for (article_id, digest), ids in versions.items()
            if article_id in wanted and digest != digests[article_id]
            for i in ids
        ]
        if rebuild or deleted or todo or stale:
            bump_generation(settings.index_dir)  # readers reload: articles may vanish from here on
        store.delete_ids([i for (article_id, _), ids in versions.items() if article_id not in wanted for i in ids])
        detector = detector or LanguageDetector()
        embedded = _embed_and_store(store, embedder, todo, progress, detector)
        # Superseded versions (and leftovers of a killed run) go only once the current version is stored:
        # every stored version of a wanted article whose hash is not the article's current one.
        store.delete_ids(stale)
        e5_started = time.perf_counter()
        e5_added, e5_deleted = sync_multilingual(settings, store, e5) if settings.multilingual else (0, 0)
        e5_seconds = time.perf_counter() - e5_started
        if rebuild or deleted or todo or stale or e5_added or e5_deleted:
            bump_generation(settings.index_dir)  # readers reload the finished state
    return IngestReport(
        added,
        updated,
        deleted,
        unchanged,
        skipped,
        embedded,
        time.perf_counter() - started,
        e5_added,
        e5_seconds if e5_added else 0.0,
    )


def _embed_and_store(
    store: PassageStore, embedder: Embedder, todo, progress: ProgressFn | None, detector: LanguageDetector
) -> int:
    rows = []
    for article, digest, passages in todo:
        meta = {
            "title": article.title,
            "content_hash": digest,
            "n_passages": len(passages),
            "indexed_at": now(),
            "published": article.published,
            "byline": article.byline,
            "source": article.source,
            "date": article.date or "",  # ISO; "" when the article has none
            "date_num": date_number(article.date),  # 20251014, 0 when none: what a date filter compares
            "site": article.site,
            "url": article.url,
            "page_starts": ",".join(map(str, article.page_starts)),  # a PDF's pages, "" otherwise
        }
        rows.extend((p, {**meta, "language": detector.detect(p.text)}) for p in passages)
    total = len(rows)
    if progress and total:
        progress(0, total, "passages")  # the bar shows (and times) the first batch too
    for begin in range(0, total, BATCH_PASSAGES):
        batch = rows[begin : begin + BATCH_PASSAGES]
        vectors = embedder.embed([passage_text_for_embedding(m["title"], p.text) for p, m in batch])
        store.add([(p, m, v) for (p, m), v in zip(batch, vectors, strict=True)])
        if progress:
            progress(begin + len(batch), total, "passages")
    return total


def _drop_collection(settings: IndexSettings, name: str) -> None:
    """Delete a collection (``--rebuild``); none there yet is fine, any other failure is a StoreError."""
    from chromadb.errors import NotFoundError

    from index.chroma import chroma_client

    client = chroma_client(settings, create=True)
    try:
        client.delete_collection(name)
    except NotFoundError:
        pass  # nothing to drop
    except Exception as exc:
        raise StoreError(f"cannot drop the index collection {name!r} to rebuild it: {exc}") from None
