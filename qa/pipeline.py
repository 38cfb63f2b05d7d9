"""The answer path: condense -> retrieve (hybrid) -> rerank -> generate -> verify -> Answer.

``Engine`` owns the models and the store for one settings object; ``answer`` and ``stream`` are the
two entry points (the CLI, the UI, the Python API and the evaluation all call them).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from index.dates import parse_bound
from index.language import ENGLISH, language_name, quote_frame
from index.pdf import page_of
from index.store import DateRange
from qa.abstain import missing_answer_type
from qa.citations import strip_markers
from qa.condense import condense, split_context
from qa.conflicts import Claim, find_conflict
from qa.generators import GeneratorError, generator_fix, get_generator
from qa.generators.extractive import ExtractiveGenerator, ScoredSentence, best_margin, draft_from, with_short_answer
from qa.limits import check_history
from qa.reader import reader_question
from qa.recency import asks_for_latest, prefer_recent
from qa.redact import redact
from qa.settings import Settings
from qa.types import Answer, Citation, DroppedSentence, Progress, ScoredPassage, ShortAnswer
from qa.verify import VerifiedSentence, check_sentence, draft_sentences

log = logging.getLogger("qa.pipeline")

ABSTAIN_TEXT = "The articles don't say."
MODEL_ABSTAINED = "the model said the articles don't say"
# Asks for an overview rather than a fact: the reader, which finds answer spans, is not asked whether one is there.
SUMMARY_REQUEST = re.compile(r"\b(?:summari[sz]e|summary|overview|main points|gist)\b", re.I)
READER_REFUSAL = "The closest passages are on the topic, but our reader finds no answer to the question in them."
AUTHOR_QUESTION = re.compile(r"\bwho (?:wrote|writes|authored)\b|\bauthor\b|\bbyline\b|\bwritten by\b", re.I)
BYLINE_LINE = re.compile(r"^\s*(By [A-Z][^\n]{2,60})$", re.M)
EVIDENCE_PASSAGES = 6  # passages mined for answer sentences (the generator sees top_k of them)
MAX_QUESTION_CHARS = 2000
_CLOSED = re.compile(r"[.!?][\"'”’)\]]*$")  # a sentence end, maybe inside closing quotes or brackets


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long); the message says why."""


def clean_question(question: str) -> str:
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QuestionError("the question is empty: type a question about the articles")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(cleaned):,} characters long; ask it in at most {MAX_QUESTION_CHARS:,}"
        )
    return cleaned


def language_hint(question_language: str, passages: list[ScoredPassage]) -> str:
    """For a refusal: when the question is in a language none of the closest passages is in, say so and suggest
    asking in theirs ("" when languages are not known or one matches)."""
    found = [p.passage.language for p in passages if p.passage.language]
    if not question_language or not found or question_language in found:
        return ""
    theirs = max(set(found), key=found.count)
    return (
        f"Your question is in {language_name(question_language)} and the closest passages are in "
        f"{language_name(theirs)}; asking in {language_name(theirs)} may find an answer."
    )


def date_range(since: str | None, until: str | None) -> DateRange:
    """The publication dates to answer from; a bound that is not YYYY-MM-DD, or a range that ends before it
    starts, is a QuestionError saying so."""
    bounds = []
    for name, value in (("since", since), ("until", until)):
        if value is None or not str(value).strip():
            bounds.append(None)
            continue
        try:
            bounds.append(parse_bound(str(value)))
        except ValueError as exc:
            raise QuestionError(f"{name}: {exc}") from None
    if bounds[0] and bounds[1] and bounds[0] > bounds[1]:
        raise QuestionError(f"since ({bounds[0]}) is after until ({bounds[1]}): no article can be in that range")
    return DateRange(*bounds)


@dataclass
class _Draft:
    """What the verifier has accepted so far, numbered as the reader will see it."""

    passages: list[ScoredPassage]
    citations: list[Citation]
    sentences: list[str]
    dropped: list[DroppedSentence]
    language: str = ""  # the question's language ("" when multilingual is off): quotes in another are labelled

    def accept(self, verified: VerifiedSentence) -> str:
        numbers = []
        for source, (start, end) in zip(verified.sources, verified.quotes, strict=True):
            scored = self.passages[source]
            existing = next(
                (c for c in self.citations if c.article_id == scored.passage.article_id and c.start == start),
                None,
            )
            if existing is None:
                p = scored.passage
                quote = p.text[start - p.start : end - p.start]
                existing = Citation(
                    n=len(self.citations) + 1,
                    article_id=p.article_id,
                    title=scored.title,
                    quote=quote,
                    start=start,
                    end=end,
                    passage_start=p.start,
                    passage_end=p.end,
                    score=scored.rerank,
                    date=scored.date,
                    page=page_of(scored.page_starts, start),
                    language=p.language,
                )
                self.citations.append(existing)
            numbers.append(existing.n)
        claim = verified.claim
        markers = "".join(f"[{n}]" for n in numbers)
        if claim and claim[-1] in ".!?":
            sentence = f"{claim[:-1]} {markers}{claim[-1]}"
        elif _CLOSED.search(claim):  # '... said.”': the marker follows the quotation
            sentence = f"{claim} {markers}"
        else:  # a headline or fragment: end it, or it would run into the next sentence when read back
            sentence = f"{claim} {markers}."
        quoted_in = {self.passages[source].passage.language for source in verified.sources} - {"", self.language}
        if self.language and quoted_in:  # the quote stays verbatim; the frame says which language it is in
            sentence = f"{quote_frame(sorted(quoted_in)[0], self.language)} {sentence}"
        self.sentences.append(sentence)
        return sentence


def short_answer(best: ScoredSentence, passages: list[ScoredPassage], citations: list[Citation]) -> ShortAnswer | None:
    """The best span, located inside the citation whose quote holds it."""
    span = best.span
    if span is None:
        return None
    passage = passages[best.source].passage
    start, end = passage.start + span.start, passage.start + span.end
    for c in citations:
        if c.article_id == passage.article_id and c.start <= start and end <= c.end:
            return ShortAnswer(span.text, c.n, start - c.start, end - c.start)
    return None


class Engine:
    """Models, store and retriever for one ``Settings``; safe to share between threads."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._retriever = None
        self._reader = None
        self._multilingual_models = None  # (LanguageDetector, E5Encoder), built once, kept across index reloads
        self._generation: str | None = None  # the index generation the retriever was built at

    @property
    def retriever(self):
        with self._lock:
            if self._retriever is None:
                self._retriever = self._build_retriever(fresh=False)
            return self._retriever

    def _multilingual(self, fresh: bool, cross_encoder):
        """Language detection and e5 (QA_MULTILINGUAL=1): the models once per engine, the e5 collection per
        index generation (None when the index holds no non-English passage)."""
        if not self.settings.multilingual:
            return None
        from index.language import LanguageDetector
        from index.multilingual import E5Encoder, multilingual_store
        from qa.crosslingual import Calibration, CrossLingualScorer, Multilingual

        if self._multilingual_models is None:
            self._multilingual_models = (LanguageDetector(), E5Encoder())
        detector, e5 = self._multilingual_models
        store = multilingual_store(self.settings, create=False, fresh=fresh)
        if store is not None and store.count() == 0:
            store = None
        calibration = Calibration(abstain_threshold=self.settings.abstain_threshold)
        return Multilingual(detector, e5, CrossLingualScorer(cross_encoder, e5, detector, calibration), store)

    @property
    def reader(self):
        """Our reader (qa/reader_model), built once: short answers, and whether a model's sentence answers."""
        with self._lock:
            if self._reader is None:
                from qa.reader import Reader

                self._reader = Reader(threads=self.settings.threads)
            return self._reader

    def _build_retriever(self, fresh: bool):
        from index.embed import shared_embedder
        from index.generation import read_generation
        from index.query_encoder import shared_query_encoder
        from index.store import PassageStore
        from qa.rerank import shared_cross_encoder
        from qa.retrieve import Retriever

        threads = self.settings.threads
        self._generation = read_generation(self.settings.index_dir)  # read first: a later change reloads again
        # The ONNX export that `qa ingest` writes, else sentence-transformers: the same vectors.
        encoder = shared_query_encoder(self.settings.data_dir, threads) or shared_embedder(threads)
        store = PassageStore(self.settings, encoder.name, encoder.dim, create=False, fresh=fresh)
        cross_encoder = shared_cross_encoder(threads)
        return Retriever(store, encoder, cross_encoder, self._multilingual(fresh, cross_encoder))

    def sync(self) -> None:
        """Before a question: if any process (``qa ingest``, the app's corpus tab) changed the index since the
        retriever was built, reopen the store and rebuild the keyword index (index/generation.py)."""
        from index.generation import read_generation

        with self._lock:
            if self._retriever is None or read_generation(self.settings.index_dir) == self._generation:
                return
            retriever = self._build_retriever(fresh=True)
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
        retrievals: list | None = None,
        progress: bool = False,
        since: str | None = None,
        until: str | None = None,
    ) -> Iterator[str | Answer | Progress]:
        """Yields the verified answer text piece by piece, then the final ``Answer``. ``retrievals``, if
        given, receives the reranked ``Retrieval`` (the evaluation scores its ranked list). ``progress``: also
        yield a ``Progress`` at each stage and with each piece a model writes (for the chat; a consumer that
        stops iterating stops the work, a model's generation included). ``since`` and ``until`` (YYYY-MM-DD, both
        included) answer from the articles published in that range only."""
        started = time.perf_counter()
        dates = date_range(since, until)
        self.sync()  # another process may have changed the index
        question = clean_question(question)
        history = check_history(history)  # qa/limits.py: bounded turns and characters
        standalone = condense(question, history)
        top_k = top_k or self.settings.top_k
        if progress:
            yield Progress("Searching the articles")
        retrieval = self.retriever.retrieve(standalone, self.settings.candidates, dates=dates)
        if asks_for_latest(standalone):  # "latest", "most recent": newer articles first (qa/recency.py)
            retrieval = replace(retrieval, passages=prefer_recent(retrieval.passages))
        if retrievals is not None:
            retrievals.append(retrieval)
        timings = {"retrieve": retrieval.timings["retrieve"], "rerank": retrieval.timings["rerank"]}
        passages = retrieval.passages[:top_k]
        common = {
            "question": question,
            "standalone_question": standalone if standalone != question else "",
        }
        name = generator or self.settings.generator
        generated_at = time.perf_counter()
        # The best-supported sentences decide whether the articles answer at all, whatever generates; a
        # question or passage in another language is scored by calibrated e5 instead (qa/crosslingual.py).
        scorer = self.retriever.scorer_for(retrieval.language)
        extractive = ExtractiveGenerator(scorer)
        # The first top_k of the mined passages are the generator's, so [n] means the same in both.
        mined = retrieval.passages[: max(top_k, EVIDENCE_PASSAGES)]
        asked, previous = split_context(standalone)
        if progress:
            yield Progress(f"Reading {len(mined)} passages")
        evidence = extractive.select(asked, mined)
        if AUTHOR_QUESTION.search(asked) and mined:
            mined, evidence = self._byline_evidence(mined, evidence)
        best_score = evidence[0].score if evidence else float("-inf")
        refusal = missing_answer_type(asked, [e.text for e in evidence])
        if dates.bounded and not retrieval.passages:
            refusal = (
                f"no indexed article was published {dates.describe()} (undated articles are outside any date range)"
            )
        if best_score < self.settings.abstain_threshold or refusal:
            notice = refusal or language_hint(retrieval.language, retrieval.passages)
            yield from self._refuse(passages, timings, common, name, (started, generated_at), notice)
            return
        reader = self.reader
        read_as = reader_question(asked, previous)
        evidence, margin, read_all = self._read(reader, read_as, evidence, mined, retrieval.language)
        if read_all and self._reader_refuses(asked, margin):
            yield from self._refuse(passages, timings, common, name, (started, generated_at), READER_REFUSAL)
            return
        with_span = next((e for e in evidence if e.span is not None), None)
        lead = f"**{with_span.span.text.strip()}**: " if with_span is not None else ""

        draft = _Draft(mined, [], [], [], retrieval.language)
        notice = ""
        prefix = lead  # the extractive answer's; a model's own sentences are not led by the span
        if name != "extractive":
            prefix = ""
            hint = ""
            if with_span is not None and with_span.source < len(passages):
                hint = f"{with_span.span.text.strip()} (passage [{with_span.source + 1}])"
            try:
                generated = get_generator(self.settings, name).draft(standalone, passages, hint=hint)
                if progress:
                    yield Progress(f"The {name} model is writing")
                yield from self._verified_pieces(
                    generated, draft, scorer, answers=self._answer_check(read_as), progress=progress
                )
            except GeneratorError as exc:
                log.warning("the %s generator failed: %s", name, exc)  # the full text; the notice is redacted
                notice = (
                    f"The {name} generator failed ({redact(str(exc))}); showing the extractive answer instead. "
                    + generator_fix(name)
                )
            if not draft.sentences:
                if not notice and any(d.reason == MODEL_ABSTAINED for d in draft.dropped):
                    notice = (
                        f"The {name} generator said the articles don't say, but the closest passages answer it; "
                        "showing the extractive answer."
                    )
                if not notice:
                    notice = f"No sentence of the {name} generator's answer was supported and answered the question; showing the extractive answer."
                prefix = lead
        if not draft.sentences:  # the extractive answer, or the one a model's draft falls back to
            if progress:
                yield Progress(f"Checking {len(evidence)} sentence{'s' if len(evidence) != 1 else ''}")
            pieces = list(self._verified_pieces(draft_from(evidence), draft, scorer, whole=True))
            if pieces:
                yield prefix + "".join(pieces)
        timings["generate"] = time.perf_counter() - generated_at
        timings["total"] = time.perf_counter() - started
        if not draft.sentences:
            yield ABSTAIN_TEXT
            yield self._abstention(passages, timings, common, name, draft.dropped, notice)
            return
        claims = [Claim(c.n, c.article_id, c.quote, c.date) for c in draft.citations]
        conflict = find_conflict(claims)
        text = prefix + " ".join(draft.sentences)
        if conflict:
            yield "\n\n" + conflict
        yield Answer(
            text=text,
            citations=draft.citations,
            abstained=False,
            timings=timings,
            generator=name,
            dropped=draft.dropped,
            conflict=conflict,
            notice=notice,
            short_answer=short_answer(with_span, mined, draft.citations) if prefix else None,
            **common,
        )

    def _reader_refuses(self, asked: str, margin: float | None) -> bool:
        """The reader finds nothing like an answer in the chosen sentences (its best margin is below
        ``reader_abstain_margin``): on-topic sentences that do not answer. Not for questions it does not read for
        an answer span: who wrote an article (the byline answers) and requests for a summary."""
        setting = self.settings.reader_abstain_margin
        if setting <= -100 or AUTHOR_QUESTION.search(asked) or SUMMARY_REQUEST.search(asked):
            return False
        return margin is None or margin < setting

    def _answer_check(self, question: str):
        """A sentence that its passage supports but in which the reader finds no answer to ``question`` does not
        answer it (a model quoting an on-topic sentence)."""
        reader = self.reader

        def answers(claim: str) -> bool:
            span = reader.read(question, [claim])[0]
            return span is not None and span.margin >= reader.threshold

        return answers

    def _read(self, reader, question: str, evidence: list[ScoredSentence], mined, language: str):
        """The reader's short answer, from the chosen sentences it can read: it is English-only, so with
        multilingual on only English sentences for an English question (none for a question in another).
        Returns the sentences (the best span set on its sentence), the reader's best margin over those it read
        (None: no span in any) and whether it read them all (only then may it refuse: a sentence in another
        language may answer where it cannot see)."""
        if not language:
            readable = list(range(len(evidence)))
        else:
            readable = [
                i
                for i, e in enumerate(evidence)
                if language == ENGLISH and mined[e.source].passage.language in ("", ENGLISH)
            ]
        if not readable:
            return evidence, None, False
        read_all = len(readable) == len(evidence)
        chosen = [evidence[i] for i in readable]
        spans = reader.read(question, [c.text for c in chosen])
        read = with_short_answer(reader, reader.threshold, question, chosen, spans)
        out = list(evidence)
        for i, sentence in zip(readable, read, strict=True):
            out[i] = sentence
        return out, best_margin(spans), read_all

    def _verified_pieces(
        self,
        pieces: Iterator[str],
        draft: _Draft,
        reranker,
        whole: bool = False,
        answers=None,
        progress: bool = False,
    ) -> Iterator[str | Progress]:
        """Verify each drafted sentence as soon as it is complete, yield the accepted ones. ``whole``: each
        piece is one sentence already (the extractive draft), so a headline without a full stop is not
        read together with the sentence after it. ``reranker``: what scores support (the cross-encoder, or
        the cross-lingual scorer for a question that involves another language). ``progress``: also yield the
        unverified text so far."""
        if whole:
            for piece in pieces:
                yield from self._check(piece.strip(), draft, reranker, answers)
            return
        buffer = ""
        for piece in pieces:
            buffer += piece
            sentences = draft_sentences(buffer)
            if len(sentences) >= 2:
                for sentence in sentences[:-1]:
                    yield from self._check(sentence, draft, reranker, answers)
                buffer = sentences[-1]
            if progress:  # the sentence being written, not yet checked
                yield Progress("Writing; each sentence is checked against its passage", draft=buffer)
        for sentence in draft_sentences(buffer):
            yield from self._check(sentence, draft, reranker, answers)

    def _check(self, sentence: str, draft: _Draft, reranker, answers=None) -> Iterator[str]:
        claim = strip_markers(sentence).strip()
        if not claim:
            return
        if claim == ABSTAIN_TEXT or "articles don't say" in claim.lower():
            draft.dropped.append(DroppedSentence(claim, MODEL_ABSTAINED))
            return
        result = check_sentence(sentence, draft.passages, reranker)
        if isinstance(result, VerifiedSentence) and answers is not None and not answers(result.claim):
            result = DroppedSentence(result.claim, "its passage supports it, but it does not answer the question")
        if isinstance(result, DroppedSentence):
            draft.dropped.append(result)
            return
        accepted = draft.accept(result)
        yield ("" if len(draft.sentences) == 1 else " ") + accepted

    def _byline_evidence(self, mined: list[ScoredPassage], evidence: list):
        """ "Who wrote ...?": the byline of the best-matching article, which rarely ranks on its own."""
        article_id = mined[0].passage.article_id
        for stored in self.retriever.keyword.passages:
            if stored.passage.article_id != article_id:
                continue
            line = BYLINE_LINE.search(stored.passage.text)
            if line:
                source = ScoredPassage(
                    stored.passage,
                    stored.title,
                    mined[0].score,
                    rerank=mined[0].score,
                    date=stored.date,
                    page_starts=stored.page_starts,
                )
                sentence = ScoredSentence(len(mined), line.start(1), line.end(1), line.group(1), mined[0].score)
                return [*mined, source], [sentence]
        return mined, evidence

    def _refuse(self, passages, timings, common, name, clocks: tuple[float, float], notice: str):
        """A refusal before anything was drafted: the text, then the Answer with its timings closed (``clocks``:
        when answering and when generating started)."""
        started, generated_at = clocks
        yield ABSTAIN_TEXT
        timings["generate"] = time.perf_counter() - generated_at
        timings["total"] = time.perf_counter() - started
        yield self._abstention(passages, timings, common, name, notice=notice)

    def _abstention(self, passages, timings, common, name, dropped=None, notice="") -> Answer:
        closest = [
            Citation(
                n=i + 1,
                article_id=p.passage.article_id,
                title=p.title,
                quote=p.passage.text,
                start=p.passage.start,
                end=p.passage.end,
                passage_start=p.passage.start,
                passage_end=p.passage.end,
                score=p.rerank,
                date=p.date,
                page=page_of(p.page_starts, p.passage.start),
                language=p.passage.language,
            )
            for i, p in enumerate(passages[:3])
        ]
        return Answer(
            text=ABSTAIN_TEXT,
            citations=[],
            abstained=True,
            timings=timings,
            generator=name,
            dropped=list(dropped or []),
            closest=closest,
            notice=notice,
            **common,
        )


_ENGINES: dict[Settings, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(settings: Settings) -> Engine:
    with _ENGINES_LOCK:
        if settings not in _ENGINES:
            _ENGINES[settings] = Engine(settings)
        return _ENGINES[settings]
