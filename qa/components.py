"""What answering is made of, built once from the settings and handed to the ``Engine``.

``build_components(settings)`` makes the models (query encoders, cross-encoder, reader, the language models when
multilingual, the generators); none loads until first used. The index is not built once: an ingestion by any
process changes its generation, and the engine then opens the store again and rebuilds the keyword index
(``Engine.sync``) with the same models, through ``open_retriever``.

A test hands the engine small components of its own (a retriever returning fixed passages, a scripted reader):
anything with the methods of the protocols below will do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from qa.evidence import SpanReader
from qa.generators.extractive import SentenceScorer
from qa.generators.registry import Generators

if TYPE_CHECKING:
    from index.embed import Embedder
    from index.query_encoder import QueryEncoder
    from index.scope import Scope
    from index.store import StoredPassage
    from qa.crosslingual import Multilingual
    from qa.generators import Generator
    from qa.rerank import CrossEncoder
    from qa.retrieve import Retrieval, Retriever
    from qa.settings import Settings


class Retrieving(Protocol):
    """What the engine asks of a retriever (qa/retrieve.py's ``Retriever``)."""

    def retrieve(self, query: str, candidates: int = 20, *, scope: Scope | None = None) -> Retrieval: ...

    def scorer_for(self, language: str) -> SentenceScorer: ...

    def article_passages(self, article_id: str) -> list[StoredPassage]: ...

    def titles(self) -> dict[str, str]: ...  # article id -> title; asked only when a question names articles

    def language(self, query: str) -> str: ...  # ISO 639-1, or "" when languages are not detected

    def to_english(self, text: str, language: str) -> str | None: ...  # None: English, or no translation

    def refresh(self) -> None: ...


class GeneratorLookup(Protocol):
    """The generators by name (qa/generators/registry.py's ``Generators``): None for the extractive answer."""

    def get(self, name: str) -> Generator | None: ...


@dataclass(frozen=True)
class Components:
    """``open_retriever(settings, fresh)``: a retriever over the index as it is now (``fresh``: reopen the store's
    client, after another process changed it); ``reader``: finds short answers; ``generators``: the models that
    write a draft, by name."""

    open_retriever: Callable[[Settings, bool], Retrieving]
    reader: SpanReader
    generators: GeneratorLookup


class IndexOpener:
    """Opens the index of a settings object with models built once: the query encoder (the ONNX export that ``qa
    ingest`` writes in the data folder, else the sentence-transformers ``embedder``: the same vectors), the
    cross-encoder, and with QA_MULTILINGUAL=1 language detection, e5 and (QA_TRANSLATE=1) Apertium."""

    def __init__(self, embedder: Embedder, cross_encoder: CrossEncoder, threads: int = 2):
        self.embedder = embedder
        self.cross_encoder = cross_encoder
        self.threads = threads
        self._query_encoders: dict[Path, QueryEncoder] = {}
        self._language_models = None  # (LanguageDetector, E5Encoder, Translator), built on first multilingual use
        self._lock = threading.Lock()

    def query_encoder(self, data_dir: Path) -> Embedder | QueryEncoder:
        from index.query_encoder import load_query_encoder, query_encoder_path

        path = query_encoder_path(data_dir)
        with self._lock:
            if path not in self._query_encoders:
                encoder = load_query_encoder(data_dir, self.threads)
                if encoder is None:
                    return self.embedder
                self._query_encoders[path] = encoder
            return self._query_encoders[path]

    def __call__(self, settings: Settings, fresh: bool) -> Retriever:
        from index.store import PassageStore
        from qa.retrieve import Retriever

        encoder = self.query_encoder(settings.data_dir)
        store = PassageStore(settings, encoder.name, encoder.dim, create=False, fresh=fresh)
        return Retriever(store, encoder, self.cross_encoder, self._multilingual(settings, fresh))

    def _multilingual(self, settings: Settings, fresh: bool) -> Multilingual | None:
        """Language detection and e5 (QA_MULTILINGUAL=1): the models once, the e5 collection per index
        generation (None when the index holds no non-English passage)."""
        if not settings.multilingual:
            return None
        from index.language import LanguageDetector
        from index.multilingual import E5Encoder, multilingual_store
        from index.translation import Translator
        from qa.crosslingual import Calibration, CrossLingualScorer, Multilingual

        with self._lock:
            if self._language_models is None:
                self._language_models = (LanguageDetector(), E5Encoder(), Translator())
            detector, e5, translator = self._language_models
        translator = translator if settings.translate else None
        store = multilingual_store(settings, create=False, fresh=fresh)
        if store is not None and store.count() == 0:
            store = None
        calibration = Calibration(abstain_threshold=settings.abstain_threshold)
        scorer = CrossLingualScorer(self.cross_encoder, e5, detector, calibration, translator)
        return Multilingual(detector, e5, scorer, store, translator)


def build_components(
    settings: Settings, embedder: Embedder | None = None, cross_encoder: CrossEncoder | None = None
) -> Components:
    """The real components for ``settings``; ``embedder`` and ``cross_encoder``, when given, are shared with
    the caller (the app's ingestion embeds with the same model; tests share one of each)."""
    from index.embed import Embedder
    from qa.reader import Reader
    from qa.rerank import CrossEncoder

    threads = settings.threads
    opener = IndexOpener(embedder or Embedder(threads), cross_encoder or CrossEncoder(threads), threads)
    return Components(opener, Reader(threads=threads), Generators(settings))
