"""BM25 over the stored passages (the ``bm25s`` library, our tokenizer), built once from the store and kept in
memory (never per query), saved beside the index for the next process."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

from index.store import StoredPassage

SIGNATURE_FILE = "signature.txt"  # what the saved index was built from (KeywordIndex.signature)
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
    """Okapi BM25 (k1=1.5, b=0.75, Lucene's idf) from the ``bm25s`` library over our tokens (``tokenize``).

    bm25s keeps each term's precomputed weights in a sparse matrix, so a query sums a few columns instead of
    looping over postings; we keep the order of the hits: score descending, then passage order."""

    def __init__(self, passages: list[StoredPassage], k1: float = 1.5, b: float = 0.75):
        self.passages = passages
        self.k1, self.b = k1, b
        self._bm25 = _new_bm25(k1, b)
        if passages:
            corpus = [tokenize(stored.title + " " + stored.passage.text) for stored in passages]
            self._bm25.index(corpus, show_progress=False)

    @staticmethod
    def signature(passages: list[StoredPassage], k1: float = 1.5, b: float = 0.75) -> str:
        """What a saved index must have been built from: the passages (an id names its article's text, title
        and splitter), in order, and the BM25 parameters, tokenizer and library version."""
        digest = hashlib.sha256(f"bm25s {bm25s.__version__} v{TOKENIZER_VERSION} k1={k1} b={b}".encode())
        for stored in passages:
            digest.update(b"\n" + stored.passage.id.encode("utf-8"))
        return digest.hexdigest()

    @classmethod
    def load_or_build(cls, passages: list[StoredPassage], path: Path | None, k1: float = 1.5, b: float = 0.75):
        """The index saved in the folder ``path`` if it was built from exactly these passages, else a new one,
        saved there for the next process (best effort: a read-only folder just means building each time)."""
        signature = cls.signature(passages, k1, b)
        if path is not None:
            loaded = cls._load(path, passages, signature, k1, b)
            if loaded is not None:
                return loaded
        index = cls(passages, k1, b)
        if path is not None and passages:
            index._save(path, signature)
        return index

    @classmethod
    def _load(cls, path: Path, passages, signature: str, k1: float, b: float):
        try:
            if (path / SIGNATURE_FILE).read_text(encoding="utf-8") != signature:
                return None
            bm25 = bm25s.BM25.load(str(path))
            documents = int(bm25.scores["num_docs"])
        except Exception:  # missing, truncated, another layout: build it again
            return None
        if documents != len(passages):
            return None
        index = cls.__new__(cls)
        index.passages, index.k1, index.b, index._bm25 = passages, k1, b, bm25
        return index

    def _save(self, path: Path, signature: str) -> None:
        """Written into a temporary folder, then swapped in: a reader sees the old index or the new, whole."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        old = path.with_name(f".{path.name}.{os.getpid()}.old")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(tmp, ignore_errors=True)
            self._bm25.save(str(tmp))
            (tmp / SIGNATURE_FILE).write_text(signature, encoding="utf-8")
            if path.exists():
                path.rename(old)
            tmp.rename(path)
        except OSError:
            pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    def of_article(self, article_id: str) -> list[StoredPassage]:
        """The passages of one article, in the order they were indexed."""
        return [stored for stored in self.passages if stored.passage.article_id == article_id]

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[StoredPassage, float]]:
        """The ``k`` best passages for ``query``; ``allowed``: a boolean per passage, only those may be hits."""
        vocabulary = self._bm25.vocab_dict if self.passages else {}
        terms = [t for t in dict.fromkeys(tokenize(query)) if t in vocabulary]
        if not terms or k <= 0:
            return []
        scores = self._bm25.get_scores(terms)
        hit = np.flatnonzero(scores > 0)  # the passages holding a query term (Lucene's idf is always positive)
        if allowed is not None:
            hit = hit[allowed[hit]]
        hit_scores = scores[hit]
        if len(hit) > k:  # keep every passage tied with the k-th best, then order exactly
            kth = np.partition(hit_scores, len(hit) - k)[len(hit) - k]
            keep = hit_scores >= kth
            hit, hit_scores = hit[keep], hit_scores[keep]
        best = np.lexsort((hit, -hit_scores))[:k]  # score descending, then passage order
        return [(self.passages[int(hit[j])], float(hit_scores[j])) for j in best]


def _new_bm25(k1: float, b: float):
    return bm25s.BM25(k1=k1, b=b, method="lucene", dtype="float64")
