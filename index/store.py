"""The passage store: a Chroma collection (embedded on disk, or a server) reached through llama-index.

Each passage is one llama-index ``TextNode`` whose metadata carries its article id, offsets, the
article's content hash and passage count. An article counts as indexed only when all of its
passages for its current hash are present, so an ingestion killed half-way is repaired next time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from qa.settings import Settings
from qa.types import Passage

PAGE = 5000


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


class EmbeddingModelMismatch(StoreError):
    pass


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

    @property
    def complete(self) -> bool:
        return self.passages == self.expected


@dataclass(frozen=True)
class StoredPassage:
    passage: Passage
    title: str
    similarity: float = 0.0
    content_hash: str = ""


def chroma_client(settings: Settings, create: bool):
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
            raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {exc}") from None
        return client
    path = Path(settings.index_dir) / "chroma"
    if not create and not path.exists():
        raise StoreError(f"no index at {settings.index_dir}: run `qa ingest` first")
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        raise StoreError(f"cannot open the index at {path}: {exc}") from None


class PassageStore:
    def __init__(self, settings: Settings, embed_model: str, embed_dim: int, create: bool = True):
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.settings = settings
        self.embed_model = embed_model
        self.client = chroma_client(settings, create)
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
                raise StoreError(f"the index at {settings.index_dir} has no passages yet: run `qa ingest`") from None
            raise StoreError(f"cannot open collection {settings.collection!r}: {exc}") from None
        built_with = (self.collection.metadata or {}).get("embed_model")
        if built_with and built_with != embed_model:
            raise EmbeddingModelMismatch(
                f"the index was built with the embedding model {built_with!r}, but this run uses {embed_model!r}; "
                f"rebuild it with `qa ingest --rebuild` or point QA_INDEX_DIR elsewhere"
            )
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)

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
        if keep_hash is None:
            self.vector_store.delete(article_id)
        else:
            self.collection.delete(where={"$and": [{"article_id": article_id}, {"content_hash": {"$ne": keep_hash}}]})

    # --- reading -----------------------------------------------------------------------------
    def count(self) -> int:
        return self.collection.count()

    def _pages(self, include: list[str]) -> Iterator[dict]:
        offset = 0
        while True:
            page = self.collection.get(include=include, limit=PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def articles(self) -> dict[str, ArticleRecord]:
        """What the store holds, per article, read in one pass over the metadata."""
        groups: dict[tuple[str, str], dict] = {}
        for page in self._pages(["metadatas"]):
            for meta in page["metadatas"]:
                key = (meta["article_id"], meta["content_hash"])
                group = groups.setdefault(key, {"meta": meta, "count": 0})
                group["count"] += 1
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
            )
            previous = records.get(article_id)
            if previous is None or (record.complete, record.indexed_at) > (
                previous.complete,
                previous.indexed_at,
            ):
                records[article_id] = record
        return records

    def passages(self) -> list[StoredPassage]:
        """Every stored passage (for the keyword index), complete articles only, newest version."""
        current = {r.article_id: r.content_hash for r in self.articles().values() if r.complete}
        out = []
        for page in self._pages(["metadatas", "documents"]):
            for meta, text in zip(page["metadatas"], page["documents"], strict=True):
                if current.get(meta["article_id"]) != meta["content_hash"]:
                    continue
                out.append(StoredPassage(_passage(meta, text), meta.get("title", ""), 0.0, meta["content_hash"]))
        out.sort(key=lambda p: (p.passage.article_id, p.passage.start))
        return out

    def search(self, vector: list[float], k: int) -> list[StoredPassage]:
        from llama_index.core.vector_stores.types import VectorStoreQuery

        k = min(k, self.count())
        if k == 0:
            return []
        query = VectorStoreQuery(query_embedding=list(map(float, vector)), similarity_top_k=k)
        result = self.vector_store.query(query)
        out = []
        for node, similarity in zip(result.nodes, result.similarities, strict=True):
            passage = _passage(node.metadata, node.get_content())
            out.append(
                StoredPassage(passage, node.metadata.get("title", ""), similarity, node.metadata["content_hash"])
            )
        return out

    def article_meta(self, article_id: str) -> dict:
        page = self.collection.get(where={"article_id": article_id}, include=["metadatas"], limit=1)
        return page["metadatas"][0] if page["metadatas"] else {}


def _passage(meta: dict, text: str) -> Passage:
    return Passage(meta["article_id"], text, int(meta["start"]), int(meta["end"]), int(meta["paragraph"]))


def now() -> float:
    return time.time()
