"""The passage store: a Chroma collection (embedded on disk, or a server) reached through llama-index.

Each passage is one llama-index ``TextNode`` whose metadata carries its article id, offsets, the
article's content hash and passage count. An article counts as indexed only when all of its
passages for its current hash are present, so an ingestion killed half-way is repaired next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from index.chroma import EmbeddingModelMismatch, StoreError, chroma_client
from index.scope import Scope
from index.settings import IndexSettings
from index.types import Passage

PAGE = 5000
ID_PAGE = 50_000  # listing ids only: each get() costs ~75 ms, so few large pages (0.3 s for 100,000 ids)
CACHE_VERSION = 4
# Passage fields kept in the index folder's passage cache (the text follows them in each row).
_CACHED = ("article_id", "content_hash", "n_passages", "indexed_at", "title", "start", "end", "paragraph", "date",
           "page_starts", "language")  # fmt: skip
_DEFAULTS = {"n_passages": 0, "indexed_at": 0.0}


@dataclass(frozen=True)
class ArticleRecord:
    article_id: str
    title: str
    content_hash: str
    passages: int  # stored passages with that hash
    expected: int  # passages the article was split into
    indexed_at: float
    published: str = ""
    byline: str = ""
    date: str | None = None  # publication date, ISO
    site: str = ""
    source: str = ""

    @property
    def complete(self) -> bool:
        return self.passages == self.expected


@dataclass(frozen=True)
class StoredPassage:
    passage: Passage
    title: str
    similarity: float = 0.0
    content_hash: str = ""
    date: str | None = None  # the article's publication date, ISO
    page_starts: tuple[int, ...] = ()  # a PDF's pages


def page_starts(meta: dict) -> tuple[int, ...]:
    value = meta.get("page_starts") or ""
    return tuple(int(x) for x in value.split(",")) if value else ()


class PassageStore:
    def __init__(
        self, settings: IndexSettings, embed_model: str, embed_dim: int, create: bool = True, fresh: bool = False
    ):
        self.settings = settings
        self.embed_model = embed_model
        self.client = chroma_client(settings, create, fresh)
        try:
            if create:
                self.collection = self.client.get_or_create_collection(
                    settings.collection,
                    embedding_function=None,  # we always pass our own embeddings
                    metadata={"embed_model": embed_model, "embed_dim": embed_dim, "hnsw:space": "cosine"},
                )
            else:
                self.collection = self.client.get_collection(settings.collection, embedding_function=None)
        except StoreError:
            raise
        except Exception as exc:
            if not create:
                raise StoreError(
                    f"the index at {settings.index_dir} has no passages yet: run `qa ingest`",
                    "the article index is empty: add articles in the Corpus tab, or run `qa ingest`",
                ) from None
            raise StoreError(
                f"cannot open collection {settings.collection!r}: {exc}",
                "the article index cannot be opened; the server log says why",
            ) from None
        built_with = (self.collection.metadata or {}).get("embed_model")
        if built_with and built_with != embed_model:
            raise EmbeddingModelMismatch(
                f"the index was built with the embedding model {built_with!r}, but this run uses {embed_model!r}; "
                f"rebuild it with `qa ingest --rebuild` or point QA_INDEX_DIR elsewhere"
            )

    @cached_property
    def vector_store(self):
        """llama-index's view of the collection, used for writing (imported only when writing: ~1.5 s)."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)

    # --- writing -----------------------------------------------------------------------------
    def add(self, rows: list[tuple[Passage, dict, list[float]]]) -> None:
        """Add passages, each with its article metadata and embedding, in batched writes."""
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

        nodes = []
        for passage, meta, vector in rows:
            metadata = {
                **meta,
                "article_id": passage.article_id,
                "start": passage.start,
                "end": passage.end,
                "paragraph": passage.paragraph,
            }
            node = TextNode(
                id_=f"{passage.article_id}::{meta['content_hash'][:16]}::{passage.start}",
                text=passage.text,
                metadata=metadata,
                embedding=list(map(float, vector)),
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=passage.article_id)},
            )
            nodes.append(node)
        if nodes:
            self.vector_store.add(nodes)

    def delete_article(self, article_id: str, keep_hash: str | None = None) -> None:
        """Delete an article's passages (all of them, or all but those of ``keep_hash``)."""
        if keep_hash is None:  # what llama-index's ChromaVectorStore.delete(article_id) does, without importing it
            self.collection.delete(where={"document_id": article_id})
        else:
            self.collection.delete(where={"$and": [{"article_id": article_id}, {"content_hash": {"$ne": keep_hash}}]})

    def delete_ids(self, ids: list[str]) -> None:
        """Delete passages by id, in batched writes (one call per ``PAGE`` ids, not one per article)."""
        for begin in range(0, len(ids), PAGE):
            self.collection.delete(ids=ids[begin : begin + PAGE])

    # --- reading -----------------------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count()

    def ids(self) -> list[str]:
        """Every stored passage id (listing ids only is cheap)."""
        return [passage_id for page in self._pages([], ID_PAGE) for passage_id in page["ids"]]

    def _pages(self, include: list[str], size: int = PAGE) -> Iterator[dict]:
        offset = 0
        while True:
            page = self.collection.get(include=include, limit=size, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def inventory(self) -> tuple[dict[str, ArticleRecord], dict[tuple[str, str], list[str]]]:
        """``articles()`` plus the passage ids of every stored (article id, content hash) version,
        from the same single pass over the metadata (what ingestion needs to decide and to delete)."""
        groups: dict[tuple[str, str], dict] = {}
        ids: dict[tuple[str, str], list[str]] = {}
        for page in self._pages(["metadatas"]):
            _group(groups, page["metadatas"])
            for passage_id, meta in zip(page["ids"], page["metadatas"], strict=True):
                ids.setdefault((meta["article_id"], meta["content_hash"]), []).append(passage_id)
        return _records(groups), ids

    def articles(self) -> dict[str, ArticleRecord]:
        """What the store holds, per article, read in one pass over the metadata."""
        groups: dict[tuple[str, str], dict] = {}
        for page in self._pages(["metadatas"]):
            _group(groups, page["metadatas"])
        return _records(groups)

    def passages(self) -> list[StoredPassage]:
        """Every stored passage (for the keyword index), complete articles only, newest version.

        Reading every document and metadata back from Chroma is slow (about 4 s per 20,000 passages here),
        so the fields this needs are also kept in a cache file in the index folder, keyed by passage id. A
        passage id is ``article id::content hash::start`` and the content hash covers the article's text,
        title and splitter, so a known id means a known passage. Each call lists the ids (cheap), reads from
        Chroma only the passages the cache lacks, and rewrites the cache when the set of ids changed."""
        ids = [passage_id for page in self._pages([], ID_PAGE) for passage_id in page["ids"]]
        cache = self._read_cache()
        missing = [passage_id for passage_id in ids if passage_id not in cache]
        for begin in range(0, len(missing), PAGE):
            page = self.collection.get(ids=missing[begin : begin + PAGE], include=["metadatas", "documents"])
            for passage_id, meta, text in zip(page["ids"], page["metadatas"], page["documents"], strict=True):
                cache[passage_id] = [meta.get(key, _DEFAULTS.get(key, "")) for key in _CACHED] + [text or ""]
        rows = [cache[passage_id] for passage_id in ids if passage_id in cache]
        if missing or len(cache) != len(rows):
            self._write_cache({passage_id: cache[passage_id] for passage_id in ids if passage_id in cache})
        metas = [dict(zip(_CACHED, row, strict=False)) for row in rows]
        groups: dict[tuple[str, str], dict] = {}
        _group(groups, metas)
        current = {r.article_id: r.content_hash for r in _records(groups).values() if r.complete}
        out = []
        for meta, row in zip(metas, rows, strict=True):
            if current.get(meta["article_id"]) != meta["content_hash"]:
                continue
            passage = passage_from_meta(meta, row[-1])
            out.append(
                StoredPassage(
                    passage,
                    meta.get("title", ""),
                    0.0,
                    meta["content_hash"],
                    meta.get("date") or None,
                    page_starts(meta),
                )
            )
        out.sort(key=lambda p: (p.passage.article_id, p.passage.start))
        return out

    @property
    def _cache_name(self) -> str:
        name = self.settings.collection
        if self.settings.chroma_url:
            name += "-" + hashlib.sha256(self.settings.chroma_url.encode("utf-8")).hexdigest()[:8]
        return name

    @property
    def _cache_path(self) -> Path:
        return Path(self.settings.index_dir) / f"passages-{self._cache_name}.json"

    @property
    def keyword_cache_path(self) -> Path:
        """Where the retriever keeps the BM25 index built from ``passages()`` (``KeywordIndex.load_or_build``)."""
        return Path(self.settings.index_dir) / f"bm25s-{self._cache_name}"

    def _read_cache(self) -> dict[str, list]:
        try:
            data = json.loads(self._cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or data.get("fields") != list(_CACHED):
            return {}
        rows = data.get("rows")
        return rows if isinstance(rows, dict) else {}

    def _write_cache(self, rows: dict[str, list]) -> None:
        """Best effort: a read-only index folder just means no cache."""
        path = self._cache_path
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            payload = {"version": CACHE_VERSION, "fields": list(_CACHED), "rows": rows}
            tmp.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def search(self, vector: list[float], k: int, scope: Scope | None = None) -> list[StoredPassage]:
        """The ``k`` nearest passages (of the articles in ``scope``: its ids, published within its dates). Reads Chroma directly, with the
        fields and the similarity (exp(-distance)) of llama-index's ``ChromaVectorStore.query``, without
        rebuilding each hit's node."""
        if k <= 0:
            return []
        embedding = [float(x) for x in vector]
        include = ["documents", "metadatas", "distances"]
        where = scope.where() if scope else None
        try:
            result = self.collection.query(query_embeddings=[embedding], n_results=k, include=include, where=where)
        except Exception:  # a backend that refuses k > count: ask for what it has
            k = min(k, self.count())
            if k == 0:
                return []
            result = self.collection.query(query_embeddings=[embedding], n_results=k, include=include, where=where)
        out = []
        hits = zip(result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True)
        for text, meta, distance in hits:
            if not meta:  # deleted by another process since this process read the vector index: skip it
                continue
            passage = passage_from_meta(meta, text or "")
            similarity = math.exp(-distance)
            out.append(
                StoredPassage(
                    passage,
                    meta.get("title", ""),
                    similarity,
                    meta["content_hash"],
                    meta.get("date") or None,
                    page_starts(meta),
                )
            )
        return out

    def article_meta(self, article_id: str) -> dict:
        page = self.collection.get(where={"article_id": article_id}, include=["metadatas"], limit=1)
        return page["metadatas"][0] if page["metadatas"] else {}


def _group(groups: dict[tuple[str, str], dict], metadatas: list[dict]) -> None:
    for meta in metadatas:
        key = (meta["article_id"], meta["content_hash"])
        group = groups.get(key)
        if group is None:
            groups[key] = {"meta": meta, "count": 1}
        else:
            group["count"] += 1


def _records(groups: dict[tuple[str, str], dict]) -> dict[str, ArticleRecord]:
    records: dict[str, ArticleRecord] = {}
    for (article_id, content_hash), group in groups.items():
        meta = group["meta"]
        record = ArticleRecord(
            article_id=article_id,
            title=meta.get("title", ""),
            content_hash=content_hash,
            passages=group["count"],
            expected=int(meta.get("n_passages", 0)),
            indexed_at=float(meta.get("indexed_at", 0.0)),
            published=meta.get("published", ""),
            byline=meta.get("byline", ""),
            date=meta.get("date") or None,
            site=meta.get("site", ""),
            source=meta.get("source", ""),
        )
        previous = records.get(article_id)
        if previous is None or (record.complete, record.indexed_at) > (previous.complete, previous.indexed_at):
            records[article_id] = record
    return records


def passage_from_meta(meta: dict, text: str) -> Passage:
    return Passage(
        meta["article_id"],
        text,
        int(meta["start"]),
        int(meta["end"]),
        int(meta["paragraph"]),
        meta.get("language") or "",
    )


def now() -> float:
    return time.time()
