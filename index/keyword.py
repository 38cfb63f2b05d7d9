"""BM25 over the stored passages, built once from the store and kept in memory (never per query)."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

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
        token = token.replace("’", "'")
        if token.endswith("'s"):
            token = token[:-2]
        if token in STOPWORDS:
            continue
        if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
            token = token[:-1]
        tokens.append(token)
    return tokens


class KeywordIndex:
    """Okapi BM25 (k1=1.5, b=0.75) with an inverted index: a query touches only its terms' postings."""

    def __init__(self, passages: list[StoredPassage], k1: float = 1.5, b: float = 0.75):
        self.passages = passages
        self.k1, self.b = k1, b
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths: list[int] = []
        for i, stored in enumerate(passages):
            tokens = tokenize(stored.title + " " + stored.passage.text)
            self.lengths.append(len(tokens))
            for term, tf in Counter(tokens).items():
                self.postings[term].append((i, tf))
        n = max(len(passages), 1)
        self.avg_length = sum(self.lengths) / n if self.lengths else 0.0
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, query: str, k: int) -> list[tuple[StoredPassage, float]]:
        scores: dict[int, float] = defaultdict(float)
        for term in set(tokenize(query)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, tf in self.postings[term]:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / (self.avg_length or 1))
                scores[i] += idf * tf * (self.k1 + 1) / (tf + norm)
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [(self.passages[i], score) for i, score in best]
