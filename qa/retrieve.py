"""Hybrid retrieval: dense (Chroma) + keyword (BM25) fused by reciprocal rank, then cross-encoder rerank."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

import numpy as np

from index.embed import Embedder
from index.keyword import KeywordIndex
from index.language import ENGLISH
from index.query_encoder import QueryEncoder
from index.scope import Scope
from index.store import PassageStore, StoredPassage
from qa.crosslingual import Multilingual
from qa.rerank import CrossEncoder
from qa.types import ScoredPassage

RRF_K = 60


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    """score(id) = sum over rankings of 1 / (k + rank), rank starting at 1."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return fused


@dataclass(frozen=True)
class Retrieval:
    passages: list[ScoredPassage]  # reranked, best first
    timings: dict[str, float]
    language: str = ""  # the question's language when multilingual retrieval is on, else ""


class Retriever:
    """Holds the store, the in-memory keyword index and the models it is given; one per index generation (opened by
    ``qa.components.IndexOpener``, with models built once)."""

    def __init__(
        self,
        store: PassageStore,
        query_encoder: Embedder | QueryEncoder,
        reranker: CrossEncoder,
        multilingual: Multilingual | None = None,
    ):
        self.store = store
        self.query_encoder = query_encoder  # anything with embed_query(text) -> normalised vector
        self.reranker = reranker
        self.multilingual = multilingual  # None: English only, as before (QA_MULTILINGUAL=0)
        self._lock = threading.Lock()
        self._keyword: KeywordIndex | None = None
        self._current: dict[str, str] = {}
        self._dates: dict[str, str | None] = {}
        self._titles: dict[str, str] = {}

    def refresh(self) -> None:
        """Rebuild the keyword index from the store (after an ingestion)."""
        passages = self.store.passages()
        keyword = KeywordIndex.load_or_build(passages, self.store.keyword_cache_path)
        with self._lock:
            self._keyword = keyword
            self._current = {p.passage.article_id: p.content_hash for p in passages}
            self._dates = {p.passage.article_id: p.date for p in passages}
            self._titles = {p.passage.article_id: p.title for p in passages}

    @property
    def keyword(self) -> KeywordIndex:
        if self._keyword is None:
            self.refresh()
        return self._keyword

    def titles(self) -> dict[str, str]:
        """Article id -> title of every indexed article (built with the keyword index, not per question)."""
        self.keyword  # noqa: B018 -- built on first use, with the titles
        return self._titles

    def article_passages(self, article_id: str) -> list[StoredPassage]:
        """One article's stored passages (its byline is in the first)."""
        return self.keyword.of_article(article_id)

    def date_of(self, article_id: str) -> str | None:
        self.keyword  # noqa: B018 -- built on first use, with the dates
        return self._dates.get(article_id)

    def language(self, query: str) -> str:
        """The question's language, or "" when multilingual retrieval is off."""
        return self.multilingual.detector.detect(query) if self.multilingual else ""

    def to_english(self, text: str, language: str) -> str | None:
        """``text`` translated into English (index/translation.py), or None: English, multilingual retrieval off,
        or no translation for ``language``."""
        return self.multilingual.to_english(text, language) if self.multilingual else None

    def scorer_for(self, language: str):
        """The cross-encoder, or for a question that involves another language the cross-lingual scorer
        (English-English pairs still go to the cross-encoder)."""
        if self.multilingual and self.multilingual.involved(language):
            return self.multilingual.scorer
        return self.reranker

    def candidates(
        self, query: str, n: int, language: str | None = None, scope: Scope | None = None
    ) -> tuple[list[ScoredPassage], dict[str, float]]:
        """Fused dense + keyword candidates (not yet reranked) of the articles in ``scope``; with
        multilingual retrieval also e5's nearest non-English passages and, for a question not in English, the
        candidates ranked by e5."""
        language = self.language(query) if language is None else language
        timings = {}
        started = time.perf_counter()
        keyword = self.keyword
        allowed = None
        if scope is not None and scope.bounded:
            allowed = np.array([scope.holds(p.passage.article_id, p.date) for p in keyword.passages], dtype=bool)
        keyword_hits = keyword.search(query, n, allowed)
        timings["keyword"] = time.perf_counter() - started
        started = time.perf_counter()
        vector = self.query_encoder.embed_query(query)
        dense_hits = [
            s for s in self.store.search(vector, n, scope) if self._current.get(s.passage.article_id) == s.content_hash
        ]
        timings["dense"] = time.perf_counter() - started
        by_id: dict[str, StoredPassage] = {}
        dense_score = {s.passage.id: s.similarity for s in dense_hits}
        keyword_score = {s.passage.id: score for s, score in keyword_hits}
        for s in dense_hits:
            by_id[s.passage.id] = s
        for s, _ in keyword_hits:
            by_id.setdefault(s.passage.id, s)
        rankings = [[s.passage.id for s in dense_hits], [s.passage.id for s, _ in keyword_hits]]
        if self.multilingual and self.multilingual.involved(language):
            started = time.perf_counter()
            rankings += self._multilingual_rankings(query, language, n, by_id, scope)
            timings["multilingual"] = time.perf_counter() - started
        fused = reciprocal_rank_fusion(rankings)
        order = sorted(fused, key=lambda key: -fused[key])[:n]
        scored = [
            ScoredPassage(
                passage=by_id[key].passage,
                title=by_id[key].title,
                score=fused[key],
                dense=dense_score.get(key),
                keyword=keyword_score.get(key),
                date=by_id[key].date,
                page_starts=by_id[key].page_starts,
            )
            for key in order
        ]
        return scored, timings

    def _multilingual_rankings(
        self, query: str, language: str, n: int, by_id: dict[str, StoredPassage], scope: Scope | None = None
    ) -> list[list[str]]:
        """e5's nearest non-English passages (added to ``by_id``); for a question not in English, also every
        candidate so far ranked by e5 similarity (its vectors are cached for the rerank)."""
        multilingual = self.multilingual
        rankings = []
        if multilingual.store is not None:
            scope = scope or Scope()
            vector = multilingual.e5.embed_query(query)
            hits = [
                s
                for s in multilingual.store.search(vector, n, scope.ids_only())  # the e5 store keeps no dates
                if self._current.get(s.passage.article_id) == s.content_hash
                and scope.holds(s.passage.article_id, self._dates.get(s.passage.article_id))
            ]
            for s in hits:
                by_id.setdefault(s.passage.id, s)
            rankings.append([s.passage.id for s in hits])
        if language != ENGLISH and by_id:
            keys = list(by_id)
            sims = multilingual.scorer.similarities(query, [by_id[k].passage.text for k in keys])
            rankings.append([k for _, k in sorted(zip(sims, keys, strict=True), key=lambda pair: -pair[0])])
        return rankings

    def rerank(
        self, query: str, passages: list[ScoredPassage], skip_repeats: bool = True, language: str = ""
    ) -> list[ScoredPassage]:
        scores = self.scorer_for(language).score(query, [p.passage.text for p in passages], skip_repeats)
        reranked = [replace(p, score=s, rerank=s) for p, s in zip(passages, scores, strict=True)]
        return sorted(reranked, key=lambda p: -p.score)

    def retrieve(
        self,
        query: str,
        candidates: int = 20,
        top_k: int | None = None,
        skip_repeats: bool = True,
        scope: Scope | None = None,
    ) -> Retrieval:
        """Fused candidates reranked; ``skip_repeats`` lets the reranker score a repeated text once; ``scope``
        limits them to its articles and publication dates."""
        started = time.perf_counter()
        language = self.language(query)
        fused, timings = self.candidates(query, candidates, language, scope)
        timings["retrieve"] = time.perf_counter() - started
        started = time.perf_counter()
        reranked = self.rerank(query, fused, skip_repeats, language)
        timings["rerank"] = time.perf_counter() - started
        return Retrieval(reranked[:top_k] if top_k else reranked, timings, language)
