"""BM25 over the stored passages, built once from the store and kept in memory (never per query)."""

from __future__ import annotations

import re
from array import array
from collections import Counter
from functools import lru_cache

import numpy as np

from index.store import StoredPassage

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
        self.idf = {term: float(idf_by_id[t]) for term, t in vocabulary.items()}

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, query: str, k: int) -> list[tuple[StoredPassage, float]]:
        ids = [self._vocabulary[t] for t in set(tokenize(query)) if t in self._vocabulary]
        if not ids or k <= 0:
            return []
        slices = [slice(self._start[t], self._start[t + 1]) for t in ids]
        docs = np.concatenate([self._docs[s] for s in slices])
        weights = np.concatenate([self._weights[s] for s in slices])
        scores = np.bincount(docs, weights=weights, minlength=len(self.passages))
        hit = np.unique(docs)
        hit_scores = scores[hit]
        if len(hit) > k:  # keep every passage tied with the k-th best, then order exactly
            kth = np.partition(hit_scores, len(hit) - k)[len(hit) - k]
            keep = hit_scores >= kth
            hit, hit_scores = hit[keep], hit_scores[keep]
        best = np.lexsort((hit, -hit_scores))[:k]  # score descending, then passage order
        return [(self.passages[int(hit[j])], float(hit_scores[j])) for j in best]
