"""The answer path: clean -> condense -> retrieve -> choose evidence -> decide -> read -> draft -> verify -> Answer.

``Engine`` answers for one ``Settings`` with the ``Components`` it is handed (qa/components.py: built once, by
``build_components`` unless the caller passes its own); ``answer`` and ``stream`` are the two entry points (the
CLI, the UI, the Python API and the evaluation all call them). Each stage is a call into the module that owns it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from index.dates import DateRange
from index.scope import Scope
from qa.abstain import missing_answer_type
from qa.components import Components, Retrieving, build_components
from qa.condense import Condensed, condense
from qa.conflicts import Claim, find_conflict
from qa.drafting import Draft, SentenceVerifier, short_answer
from qa.evidence import Evidence, Reading, answer_check, choose_evidence, read_evidence, reader_refuses
from qa.generators import GeneratorError, generator_fix
from qa.generators.extractive import SentenceScorer, draft_from
from qa.limits import check_history
from qa.question import article_ids, check_articles, clean_question, date_range
from qa.reader import reader_question
from qa.recency import asks_for_latest, prefer_recent
from qa.redact import redact
from qa.refusal import ABSTAIN_TEXT, MODEL_ABSTAINED, READER_REFUSAL, closest_citations, language_hint
from qa.retrieve import Retrieval
from qa.settings import Settings
from qa.types import Answer, Progress, ScoredPassage

__all__ = ["Engine"]

log = logging.getLogger("qa.pipeline")

EVIDENCE_PASSAGES = 6  # passages mined for answer sentences (the generator sees top_k of them)


@dataclass(frozen=True)
class _Question:
    """One question as the stages see it: the cleaned text, its standalone form, the retrieval it found and the
    parts of the Answer every outcome shares."""

    text: str
    condensed: Condensed
    retrieval: Retrieval
    passages: list[ScoredPassage]  # the first top_k: the generator's, and the closest shown with a refusal
    generator: str
    started: float  # when answering started
    generating: float  # when the stages after retrieval started
    limited: str = ""  # what a refusal says about the chosen articles ("" when answering from all)

    def answer(self, **fields) -> Answer:
        timings = {"retrieve": self.retrieval.timings["retrieve"], "rerank": self.retrieval.timings["rerank"]}
        timings["generate"] = time.perf_counter() - self.generating
        timings["total"] = time.perf_counter() - self.started
        standalone = self.condensed.text
        return Answer(
            question=self.text,
            standalone_question=standalone if standalone != self.text else "",
            timings=timings,
            generator=self.generator,
            retrieval=self.retrieval,
            **fields,
        )

    def refusal(self, notice: str = "", dropped=None) -> Answer:
        return self.answer(
            text=ABSTAIN_TEXT,
            citations=[],
            abstained=True,
            dropped=list(dropped or []),
            closest=closest_citations(self.passages),
            notice=f"{self.limited} {notice[:1].upper()}{notice[1:]}".strip() if self.limited else notice,
        )


class Engine:
    """Answers questions for one ``Settings`` with the ``Components`` it is given; safe to share between threads."""

    def __init__(self, settings: Settings, components: Components | None = None):
        self.settings = settings
        self.components = components or build_components(settings)
        self._lock = threading.Lock()
        self._retriever: Retrieving | None = None
        self._generation: str | None = None  # the index generation the retriever was opened at

    @property
    def retriever(self) -> Retrieving:
        with self._lock:
            if self._retriever is None:
                self._retriever = self._open(fresh=False)
            return self._retriever

    @property
    def reader(self):
        return self.components.reader

    def _open(self, fresh: bool) -> Retrieving:
        from index.generation import read_generation

        self._generation = read_generation(self.settings.index_dir)  # read first: a later change reloads again
        return self.components.open_retriever(self.settings, fresh)

    def sync(self) -> None:
        """Before a question: if any process (``qa ingest``, the app's corpus tab) changed the index since the
        retriever was opened, reopen the store and rebuild the keyword index (index/generation.py)."""
        from index.generation import read_generation

        with self._lock:
            if self._retriever is None or read_generation(self.settings.index_dir) == self._generation:
                return
            retriever = self._open(fresh=True)
            retriever.refresh()
            self._retriever = retriever

    def refresh(self) -> None:
        """Pick up a new ingestion: the next question reopens the store and rebuilds the keyword index."""
        with self._lock:
            self._generation = None

    def answer(self, question: str, history: list[dict] | None = None, **options) -> Answer:
        final = None
        for item in self.stream(question, history, **options):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(
        self,
        question: str,
        history: list[dict] | None = None,
        generator: str | None = None,
        top_k: int | None = None,
        progress: bool = False,
        since: str | None = None,
        until: str | None = None,
        articles: Iterable[str] | str | None = None,
    ) -> Iterator[str | Answer | Progress]:
        """Yields the verified answer text piece by piece, then the final ``Answer`` (whose ``retrieval`` is the
        reranked list it was made from). ``progress``: also yield a ``Progress`` at each stage and with each piece
        a model writes (for the chat; a consumer that stops iterating stops the work, a model's generation
        included). ``since`` and ``until`` (YYYY-MM-DD, both included) answer from the articles published in that
        range only; ``articles`` (ids, or one text of ids separated by commas; empty: all) from those articles only,
        an unknown id being a QuestionError."""
        started = time.perf_counter()
        scope = Scope(date_range(since, until), article_ids(articles))
        self.sync()  # another process may have changed the index
        limited = check_articles(scope.articles, self.retriever.titles()) if scope.articles else ""
        text = clean_question(question)
        condensed = condense(text, check_history(history))  # qa/limits.py: bounded turns and characters
        # A question Apertium can translate is searched, scored and read in English (the English models are the
        # strong ones); the answer still frames its quotes for the language it was asked in.
        language = self.retriever.language(condensed.question)
        english = self.retriever.to_english(condensed.question, language)
        if english:
            condensed = Condensed(english, condensed.context)
        top_k = top_k or self.settings.top_k
        if progress:
            yield Progress("Searching the articles")
        retrieval = self._retrieve(condensed, scope)
        name = generator or self.settings.generator
        asked = _Question(
            text, condensed, retrieval, retrieval.passages[:top_k], name, started, time.perf_counter(), limited
        )
        # The best-supported sentences decide whether the articles answer at all, whatever generates; a
        # question or passage in another language is scored by calibrated e5 instead (qa/crosslingual.py).
        scorer = self.retriever.scorer_for(retrieval.language)
        mined = retrieval.passages[: max(top_k, EVIDENCE_PASSAGES)]
        if progress:
            yield Progress(f"Reading {len(mined)} passages")
        evidence = choose_evidence(scorer, condensed.question, mined, self.retriever.article_passages)
        refusal = self._refusal(condensed.question, evidence, retrieval, scope.dates)
        if refusal is not None:
            yield ABSTAIN_TEXT
            yield asked.refusal(refusal)
            return
        read_as = reader_question(condensed.question, condensed.context)
        reading = read_evidence(self.reader, read_as, evidence, retrieval.language)
        if reading.read_all and reader_refuses(self.settings.reader_abstain_margin, condensed.question, reading.margin):
            yield ABSTAIN_TEXT
            yield asked.refusal(READER_REFUSAL)
            return
        draft = Draft(evidence.passages, language if english else retrieval.language)
        yield from self._write(asked, draft, reading, scorer, read_as, progress)

    def _retrieve(self, condensed: Condensed, scope: Scope) -> Retrieval:
        """The reranked candidates; for "latest", "most recent", newer articles first (qa/recency.py)."""
        retrieval = self.retriever.retrieve(condensed.text, self.settings.candidates, scope=scope)
        if asks_for_latest(condensed.text):
            retrieval = replace(retrieval, passages=prefer_recent(retrieval.passages))
        return retrieval

    def _refusal(self, asked: str, evidence: Evidence, retrieval: Retrieval, dates: DateRange) -> str | None:
        """Why the articles do not answer, before anything is read (None: they may): no sentence is supported
        well enough, the question asks for a kind of answer none of them holds, or no article is in the dates."""
        refusal = missing_answer_type(asked, [e.text for e in evidence.sentences])
        if dates.bounded and not retrieval.passages:
            refusal = (
                f"no indexed article was published {dates.describe()} (undated articles are outside any date range)"
            )
        if evidence.best_score < self.settings.abstain_threshold or refusal:
            return refusal or language_hint(retrieval.language, retrieval.passages)
        return None

    def _write(
        self, asked: _Question, draft: Draft, reading: Reading, scorer: SentenceScorer, read_as: str, progress: bool
    ) -> Iterator[str | Answer | Progress]:
        """The answer's text: a model's draft when one is chosen, else (or when nothing of it survives) the
        evidence itself, verified sentence by sentence; then the Answer."""
        with_span = reading.with_span
        lead = f"**{with_span.span.text.strip()}**: " if with_span is not None else ""
        notice = yield from self._model_draft(asked, draft, with_span, scorer, read_as, progress)
        prefix = "" if draft.sentences else lead  # a model's own sentences are not led by the span
        if not draft.sentences:  # the extractive answer, or the one a model's draft falls back to
            if progress:
                count = len(reading.sentences)
                yield Progress(f"Checking {count} sentence{'s' if count != 1 else ''}")
            pieces = list(SentenceVerifier(draft, scorer).sentences(draft_from(reading.sentences)))
            if pieces:
                yield prefix + "".join(pieces)
        if not draft.sentences:
            yield ABSTAIN_TEXT
            yield asked.refusal(notice, draft.dropped)
            return
        conflict = find_conflict([Claim(c.n, c.article_id, c.quote, c.date) for c in draft.citations])
        if conflict:
            yield "\n\n" + conflict
        yield asked.answer(
            text=prefix + " ".join(draft.sentences),
            citations=draft.citations,
            abstained=False,
            dropped=draft.dropped,
            conflict=conflict,
            notice=notice,
            short_answer=short_answer(with_span, draft.passages, draft.citations) if prefix else None,
        )

    def _model_draft(self, asked: _Question, draft: Draft, with_span, scorer, read_as: str, progress: bool):
        """Yields what a model writes that the verifier accepts (nothing for the extractive generator, which no
        model writes); returns the notice to show when none of it is kept."""
        name, passages = asked.generator, asked.passages
        hint = ""
        if with_span is not None and with_span.source < len(passages):
            hint = f"{with_span.span.text.strip()} (passage [{with_span.source + 1}])"
        try:
            model = self.components.generators.get(name)
            if model is None:
                return ""
            generated = model.draft(asked.condensed.text, passages, hint=hint)
            if progress:
                yield Progress(f"The {name} model is writing")
            verifier = SentenceVerifier(draft, scorer, answers=answer_check(self.reader, read_as))
            yield from verifier.stream(generated, progress=progress)
        except GeneratorError as exc:
            log.warning("the %s generator failed: %s", name, exc)  # the full text; the notice is redacted
            return (
                f"The {name} generator failed ({redact(str(exc))}); showing the extractive answer instead. "
                + generator_fix(name)
            )
        if draft.sentences:
            return ""
        if any(d.reason == MODEL_ABSTAINED for d in draft.dropped):
            return (
                f"The {name} generator said the articles don't say, but the closest passages answer it; "
                "showing the extractive answer."
            )
        return f"No sentence of the {name} generator's answer was supported and answered the question; showing the extractive answer."
