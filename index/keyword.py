"""BM25 over the stored passages, built once from the store and kept in memory (never per query)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from array import array
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.store import StoredPassage

TOKENIZER_VERSION = 1  # bump when tokenize() changes: saved indexes built by another version are rebuilt
_TOKEN = re.compile(r"[a-z0-9]+(?:[.'’][a-z0-9]+)*")
STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those there their they them he she his her him we our you your i me my do does did done have has had "
    "what which who whom whose when where why how than then so such not no nor can could would should will shall "
    "may might must about into over under after before between during through up down out off again further "
    "once here all any both each few more most other some own same too very just also s t".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words; plural 's' folded ("tariffs" -> "tariff")."""
    tokens = []
    for token in _TOKEN.findall(text.lower().replace("u.s.", "us")):
        term = _normalise(token)
        if term is not None:
            tokens.append(term)
    return tokens


@lru_cache(maxsize=1 << 18)
def _normalise(token: str) -> str | None:
    """One raw token as an index term (None for a stop word); cached: a corpus repeats its words."""
    token = token.replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    if token in STOPWORDS:
        return None
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        token = token[:-1]
    return token


class KeywordIndex:
    """Okapi BM25 (k1=1.5, b=0.75) with an inverted index: a query touches only its terms' postings.

    Built once: each term's postings are a slice of two flat numpy arrays (passage numbers and their
    precomputed BM25 weights), so a query is a few array slices and one ``bincount``, not a Python loop
    over every posting (at 100,000 passages a common word has thousands)."""

    def __init__(self, passages: list[StoredPassage], k1: float = 1.5, b: float = 0.75):
        self.passages = passages
        self.k1, self.b = k1, b
        vocabulary: dict[str, int] = {}
        terms, docs, tfs = array("i"), array("i"), array("i")
        self.lengths: list[int] = []
        for i, stored in enumerate(passages):
            tokens = tokenize(stored.title + " " + stored.passage.text)
            self.lengths.append(len(tokens))
            for term, tf in Counter(tokens).items():
                terms.append(vocabulary.setdefault(term, len(vocabulary)))
                docs.append(i)
                tfs.append(tf)
        n = max(len(passages), 1)
        self.avg_length = sum(self.lengths) / n if self.lengths else 0.0
        term_ids = np.frombuffer(terms, dtype=np.int32)
        order = np.argsort(term_ids, kind="stable")  # postings grouped by term, passages ascending
        df = np.bincount(term_ids, minlength=len(vocabulary))
        self._start = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
        self._docs = np.frombuffer(docs, dtype=np.int32)[order]
        tf = np.frombuffer(tfs, dtype=np.int32)[order].astype(np.float64)
        idf_by_id = np.log(1 + (n - df + 0.5) / (df + 0.5))
        lengths = np.asarray(self.lengths, dtype=np.float64)
        norm = k1 * (1 - b + b * lengths[self._docs] / (self.avg_length or 1))
        self._weights = np.repeat(idf_by_id, df) * tf * (k1 + 1) / (tf + norm)
        self._vocabulary = vocabulary

    @staticmethod
    def signature(passages: list[StoredPassage], k1: float = 1.5, b: float = 0.75) -> str:
        """What a saved index must have been built from: the passages (an id names its article's text, title
        and splitter), in order, and the BM25 parameters and tokenizer."""
        digest = hashlib.sha256(f"bm25 v{TOKENIZER_VERSION} k1={k1} b={b}".encode())
        for stored in passages:
            digest.update(b"\n" + stored.passage.id.encode("utf-8"))
        return digest.hexdigest()

    @classmethod
    def load_or_build(cls, passages: list[StoredPassage], path: Path | None, k1: float = 1.5, b: float = 0.75):
        """The index saved at ``path`` if it was built from exactly these passages, else a new one, saved
        there for the next process (best effort: a read-only folder just means building each time)."""
        signature = cls.signature(passages, k1, b)
        if path is not None:
            loaded = cls._load(path, passages, signature, k1, b)
            if loaded is not None:
                return loaded
        index = cls(passages, k1, b)
        if path is not None:
            index._save(path, signature)
        return index

    @classmethod
    def _load(cls, path: Path, passages, signature: str, k1: float, b: float):
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["signature"]) != signature:
                    return None
                index = cls.__new__(cls)
                index.passages, index.k1, index.b = passages, k1, b
                index._start, index._docs, index._weights = data["start"], data["docs"], data["weights"]
                index.lengths = data["lengths"].tolist()
                index.avg_length = float(data["avg_length"])
                terms = bytes(data["terms"]).decode("utf-8").split("\n") if data["terms"].size else []
        except Exception:  # missing, truncated, not a zip, other arrays: build it again
            return None
        if len(terms) + 1 != len(index._start) or len(index.lengths) != len(passages):
            return None
        index._vocabulary = {term: i for i, term in enumerate(terms)}
        return index

    def _save(self, path: Path, signature: str) -> None:
        terms = "\n".join(sorted(self._vocabulary, key=self._vocabulary.__getitem__)).encode("utf-8")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                tmp,
                signature=np.array(signature),
                start=self._start,
                docs=self._docs,
                weights=self._weights,
                lengths=np.asarray(self.lengths, dtype=np.int32),
                avg_length=np.array(self.avg_length),
                terms=np.frombuffer(terms, dtype=np.uint8),
            )
            tmp.replace(path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def of_article(self, article_id: str) -> list[StoredPassage]:
        """The passages of one article, in the order they were indexed."""
        return [stored for stored in self.passages if stored.passage.article_id == article_id]

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[StoredPassage, float]]:
        """The ``k`` best passages for ``query``; ``allowed``: a boolean per passage, only those may be hits."""
        ids = [self._vocabulary[t] for t in set(tokenize(query)) if t in self._vocabulary]
        if not ids or k <= 0:
            return []
        slices = [slice(self._start[t], self._start[t + 1]) for t in ids]
        docs = np.concatenate([self._docs[s] for s in slices])
        weights = np.concatenate([self._weights[s] for s in slices])
        scores = np.bincount(docs, weights=weights, minlength=len(self.passages))
        hit = np.unique(docs)
        if allowed is not None:
            hit = hit[allowed[hit]]
        hit_scores = scores[hit]
        if len(hit) > k:  # keep every passage tied with the k-th best, then order exactly
            kth = np.partition(hit_scores, len(hit) - k)[len(hit) - k]
            keep = hit_scores >= kth
            hit, hit_scores = hit[keep], hit_scores[keep]
        best = np.lexsort((hit, -hit_scores))[:k]  # score descending, then passage order
        return [(self.passages[int(hit[j])], float(hit_scores[j])) for j in best]
