"""The engine's decisions with small hand-made components passed in: no model loads, so each decision is tested by
itself. A fixed retriever, a word-overlap scorer standing in for the cross-encoder, a reader that finds a listed
answer, and generators that fail, refuse or write. The same decisions on real models: tests/test_answer.py,
tests/test_decisions.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from index.generation import bump_generation
from index.types import Passage
from qa.components import Components
from qa.generators import GeneratorError
from qa.pipeline import Engine
from qa.reader import Span
from qa.refusal import ABSTAIN_TEXT, MODEL_ABSTAINED, READER_REFUSAL
from qa.retrieve import Retrieval
from qa.settings import Settings
from qa.types import Answer, Progress, ScoredPassage

PIER = "Harbour officials said the new ferry pier will cost 12 million dollars. Work on the pier starts in May."
BYLINE = "By Jane Doe\nThe council approved the harbour budget on Monday."
COST = "How much will the new ferry pier cost?"
ZEBRAFISH = "What colour is the purple zebrafish?"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3}


class OverlapScorer:
    """Stands in for the cross-encoder: 3 per content word shared with the query, minus 8."""

    def __init__(self):
        self.calls = 0

    def score(self, query: str, texts: list[str], skip_repeats: bool = True) -> list[float]:
        self.calls += 1
        return [3.0 * len(_words(query) & _words(text)) - 8.0 for text in texts]


class FixedRetriever:
    def __init__(self, passages: list[ScoredPassage], scorer: OverlapScorer):
        self.passages = passages
        self.scorer = scorer
        self.refreshed = 0

    def retrieve(self, query: str, candidates: int = 20, *, scope=None) -> Retrieval:
        return Retrieval(self.passages, {"retrieve": 0.0, "rerank": 0.0})

    def scorer_for(self, language: str) -> OverlapScorer:
        return self.scorer

    def language(self, query: str) -> str:  # languages are not detected here
        return ""

    def to_english(self, text: str, language: str) -> None:
        return None

    def article_passages(self, article_id: str):
        return [p for p in self.passages if p.passage.article_id == article_id]

    def refresh(self) -> None:
        self.refreshed += 1


class ListedReader:
    """Finds the first listed answer in a text (margin +3), else its first word with margin -6. Threshold 0."""

    threshold = 0.0

    def __init__(self, *answers: str):
        self.answers = answers

    def read(self, question: str, texts: list[str]) -> list[Span | None]:
        spans = []
        for k, text in enumerate(texts):
            found = [(text.find(a), a) for a in self.answers if a in text]
            if found:
                start, answer = min(found)
                spans.append(Span(k, start, start + len(answer), answer, score=3.0, null=0.0))
            else:
                first = re.search(r"\w+", text)
                spans.append(Span(k, first.start(), first.end(), first.group(), score=-6.0, null=0.0))
        return spans


class ScriptedModel:
    """A generator that writes ``text`` in two pieces, or raises ``error``."""

    def __init__(self, name: str, text: str = "", error: str = ""):
        self.name, self.text, self.error = name, text, error

    def draft(self, question: str, passages, hint: str = "") -> Iterator[str]:
        if self.error:
            raise GeneratorError(self.error)
        half = len(self.text) // 2
        yield self.text[:half]
        yield self.text[half:]


class ScriptedGenerators:
    def __init__(self, *models: ScriptedModel):
        self.models = {m.name: m for m in models}

    def get(self, name: str):
        return self.models.get(name)


class CountingOpener:
    """``Components.open_retriever``: counts how often the index is opened, and how (``fresh``)."""

    def __init__(self, retriever: FixedRetriever):
        self.retriever = retriever
        self.opened: list[bool] = []

    def __call__(self, settings: Settings, fresh: bool) -> FixedRetriever:
        self.opened.append(fresh)
        return self.retriever


def _passage(text: str, article_id: str, score: float = 5.0) -> ScoredPassage:
    return ScoredPassage(Passage(article_id, text, 0, len(text), 0), article_id.title(), score, rerank=score)


def _engine(tmp_path, reader=None, *models: ScriptedModel, passages=None, **settings) -> tuple[Engine, CountingOpener]:
    passages = passages or [_passage(PIER, "harbour"), _passage(BYLINE, "council", 1.0)]
    opener = CountingOpener(FixedRetriever(passages, OverlapScorer()))
    components = Components(opener, reader or ListedReader("12 million dollars"), ScriptedGenerators(*models))
    folder = tmp_path / "index"
    folder.mkdir(exist_ok=True)
    config = Settings(corpus_dir=tmp_path, index_dir=folder, data_dir=tmp_path, multilingual=0, **settings)
    return Engine(config, components), opener


def test_an_answer_is_the_verified_evidence_led_by_the_readers_span_and_carries_its_retrieval(tmp_path):
    engine, _ = _engine(tmp_path)
    a = engine.answer(COST)
    assert not a.abstained and a.generator == "extractive"
    assert a.text == "**12 million dollars**: " + PIER.split(". ")[0] + " [1]."
    assert a.citations[0].article_id == "harbour" and a.citations[0].quote == PIER.split(" Work")[0]
    assert a.short_answer.text == "12 million dollars" and a.short_answer.n == 1
    assert [p.passage.article_id for p in a.retrieval.passages] == ["harbour", "council"]
    assert "retrieval" not in a.to_dict() and a.to_dict()["text"] == a.text


def test_weak_evidence_is_refused_with_the_closest_passages(tmp_path):
    engine, _ = _engine(tmp_path)
    a = engine.answer(ZEBRAFISH)
    assert a.abstained and a.text == ABSTAIN_TEXT and not a.citations
    assert [c.article_id for c in a.closest] == ["harbour", "council"]
    assert a.retrieval is not None  # the evaluation scores the ranked list of a refusal too
    kept, _ = _engine(tmp_path, ListedReader("Harbour"), abstain_threshold=-100.0)
    assert not kept.answer(ZEBRAFISH).abstained  # the threshold decides


def test_on_topic_evidence_in_which_the_reader_finds_no_answer_is_refused(tmp_path):
    engine, _ = _engine(tmp_path, ListedReader("nothing like this"))
    a = engine.answer(COST)
    assert a.abstained and a.notice == READER_REFUSAL
    off, _ = _engine(tmp_path, ListedReader("nothing like this"), reader_abstain_margin=-100.0)
    a = off.answer(COST)
    assert not a.abstained and a.short_answer is None and not a.text.startswith("**")


def test_who_wrote_is_answered_from_the_articles_byline(tmp_path):
    engine, _ = _engine(tmp_path, passages=[_passage(BYLINE, "council")], reader_abstain_margin=-100.0)
    a = engine.answer("Who wrote the article about the council budget?")
    assert not a.abstained and a.text.startswith("By Jane Doe [1]"), a.text


def test_a_failing_generator_falls_back_to_the_extractive_answer_with_a_notice(tmp_path):
    model = ScriptedModel("openai", error="endpoint down at http://127.0.0.1:9/v1")
    engine, _ = _engine(tmp_path, None, model)
    a = engine.answer(COST, generator="openai")
    assert not a.abstained and a.generator == "openai"
    assert a.text.startswith("**12 million dollars**: ")
    assert a.notice.startswith("The openai generator failed (") and "showing the extractive answer" in a.notice


def test_a_model_saying_the_articles_dont_say_when_they_do_is_replaced(tmp_path):
    engine, _ = _engine(tmp_path, None, ScriptedModel("local", ABSTAIN_TEXT))
    a = engine.answer(COST, generator="local")
    assert not a.abstained and a.text.startswith("**12 million dollars**: ")
    assert [(d.text, d.reason) for d in a.dropped] == [(ABSTAIN_TEXT, MODEL_ABSTAINED)]
    assert "said the articles don't say, but the closest passages answer it" in a.notice


def test_a_models_verified_sentences_are_the_answer_without_the_readers_lead(tmp_path):
    sentence = "The new ferry pier will cost 12 million dollars [1]. The moon is made of cheese [1]."
    engine, _ = _engine(tmp_path, None, ScriptedModel("local", sentence))
    items = list(engine.stream(COST, generator="local", progress=True))
    a = items[-1]
    assert isinstance(a, Answer) and a.text == "The new ferry pier will cost 12 million dollars [1]."
    assert a.short_answer is None and not a.notice
    assert [d.text for d in a.dropped] == ["The moon is made of cheese."]
    stages = [i.stage for i in items if isinstance(i, Progress)]
    assert stages[:3] == ["Searching the articles", "Reading 2 passages", "The local model is writing"]


def test_components_are_built_once_and_the_index_reopened_when_its_generation_changes(tmp_path):
    engine, opener = _engine(tmp_path)
    reader = engine.reader
    engine.answer(COST)
    engine.answer(COST)
    assert opener.opened == [False]  # opened once, kept while nothing changes
    bump_generation(engine.settings.index_dir)  # another process ingested
    engine.answer(COST)
    assert opener.opened == [False, True] and opener.retriever.refreshed == 1
    assert engine.reader is reader


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001])
def test_a_question_that_cannot_be_asked_is_refused_before_retrieval(tmp_path, question):
    from qa.question import QuestionError

    engine, opener = _engine(tmp_path)
    with pytest.raises(QuestionError):
        engine.answer(question)
    assert opener.opened == []


class TranslatingRetriever(FixedRetriever):
    """Detects "¿...?" as Spanish and translates the questions it knows; records what it was asked to retrieve."""

    def __init__(self, passages, scorer, translations: dict[str, str]):
        super().__init__(passages, scorer)
        self.translations = translations
        self.queries: list[str] = []

    def retrieve(self, query: str, candidates: int = 20, *, scope=None) -> Retrieval:
        self.queries.append(query)
        return super().retrieve(query, candidates, scope=scope)

    def language(self, query: str) -> str:
        return "es" if query.startswith("¿") else "en"

    def to_english(self, text: str, language: str) -> str | None:
        return self.translations.get(text) if language != "en" else None


def test_a_question_in_a_language_we_translate_is_searched_scored_and_read_in_english(tmp_path):
    spanish = "¿Qué dinero hará falta para el muelle nuevo?"  # no word the scorer shares with the passage
    passages = [_passage(PIER, "harbour"), _passage(BYLINE, "council", 1.0)]

    def engine_with(translations: dict[str, str]) -> tuple[Engine, TranslatingRetriever]:
        engine, opener = _engine(tmp_path, passages=passages)
        opener.retriever = TranslatingRetriever(passages, OverlapScorer(), translations)
        return engine, opener.retriever

    engine, retriever = engine_with({spanish: COST})
    a = engine.answer(spanish)
    assert retriever.queries == [COST]
    assert not a.abstained and a.question == spanish and a.standalone_question == COST  # shown as understood
    assert a.short_answer.text == "12 million dollars" and a.citations[0].quote == PIER.split(" Work")[0]
    untranslated, retriever = engine_with({})
    assert untranslated.answer(spanish).abstained and retriever.queries == [spanish]  # no shared word to score


def test_a_sentence_several_articles_hold_word_for_word_is_said_once_with_all_their_markers(tmp_path):
    """A wire story run by two papers: one sentence, both cited, instead of the same sentence twice."""
    passages = [_passage(PIER, "harbour"), _passage(PIER, "harbour_wire")]
    engine, _ = _engine(tmp_path, passages=passages)
    a = engine.answer(COST)
    assert a.text == "**12 million dollars**: " + PIER.split(". ")[0] + " [1][2]."
    assert [c.article_id for c in a.citations] == ["harbour", "harbour_wire"]
    assert a.citations[0].quote == a.citations[1].quote == PIER.split(" Work")[0]
