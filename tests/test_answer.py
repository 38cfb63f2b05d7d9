"""The answer path end to end on the real seed corpus: real Chroma, embedding model and cross-encoder."""

from __future__ import annotations

import pytest
from conftest import GACKLE

from index.types import Passage
from qa.citations import parse_markers
from qa.question import QuestionError
from qa.refusal import ABSTAIN_TEXT
from qa.types import Answer, ScoredPassage
from qa.verify import check_sentence, verify_draft

pytestmark = pytest.mark.slow


def _article_text(settings, article_id):
    from index.load import load_article

    return load_article(settings.corpus_dir / f"{article_id}.txt", settings.corpus_dir).text


def test_contract_tiktok(seed_engine, seed_settings):
    a = seed_engine.answer("How many American users does TikTok have?")
    assert isinstance(a, Answer) and not a.abstained
    assert "170 million" in a.text
    assert a.citations[0].article_id == "000_2586af1d1969f1c3"
    assert parse_markers(a.text, len(a.citations)) == [c.n for c in a.citations]
    for c in a.citations:
        assert _article_text(seed_settings, c.article_id)[c.start : c.end] == c.quote
    assert set(a.timings) >= {"retrieve", "rerank", "generate", "total"}
    assert all(v >= 0 for v in a.timings.values())


@pytest.mark.parametrize(
    ("question", "expected", "article_id"),
    [
        ("Who chairs the American Soybean Association?", "Josh Gackle", "003_688cffc4895f96d0"),
        ("Where were the trade talks held this week?", "Madrid", "000_2586af1d1969f1c3"),
        ("Which company is TikTok's Chinese parent?", "ByteDance", "001_5a078bd5f88d9d3b"),
        (
            "Where were the talks that produced a broad consensus held?",
            "Kuala Lumpur",
            "004_5d28d1c07f10a7a1",
        ),
    ],
)
def test_real_questions_cite_the_right_article(seed_engine, seed_settings, question, expected, article_id):
    a = seed_engine.answer(question)
    assert expected in a.text, a.text
    assert article_id in {c.article_id for c in a.citations}
    for c in a.citations:
        assert _article_text(seed_settings, c.article_id)[c.start : c.end] == c.quote


def test_another_articles_sentence_is_cited_only_when_it_shares_the_answer(seed_engine):
    # The Kuala Lumpur article's "confidence-building step" sentences score nearly as well as the answer, but
    # say nothing of tariff guarantees: they used to be cited next to it.
    a = seed_engine.answer("What assurance about tariffs does Beijing want from Washington?")
    assert "no additional tariff increases" in a.text, a.text
    assert {c.article_id for c in a.citations} == {"002_8ef5243a76c53072"}, a.text


def test_refusal_off_corpus_shows_closest_coverage(seed_engine):
    a = seed_engine.answer("Who won the 2024 Super Bowl?")
    assert a.abstained and a.text == ABSTAIN_TEXT
    assert a.citations == [] and a.closest


def test_follow_up_is_rewritten_and_answered(seed_engine):
    history = [
        {"role": "user", "content": "What did Li Chenggang say about TikTok?"},
        {"role": "assistant", "content": "Li made clear that China rejects politicizing technology."},
    ]
    a = seed_engine.answer("And what did he say about sanctions?", history)
    assert a.standalone_question == "What did Li Chenggang say about sanctions?"
    assert "sanctions" in a.text and not a.abstained
    assert a.citations[0].article_id == "000_2586af1d1969f1c3"


def test_conflict_note_on_the_53_percent_figure(seed_engine):
    a = seed_engine.answer("How much did American farm exports to China fall?")
    cited = {c.article_id for c in a.citations}
    assert {"001_5a078bd5f88d9d3b", "003_688cffc4895f96d0"} <= cited
    assert "53%" in a.conflict and "different periods" in a.conflict
    assert "January through July" in a.conflict and "first half of 2025" in a.conflict


def test_hybrid_retrieval_fuses_and_reranks_real_passages(seed_engine):
    retriever = seed_engine.retriever
    fused, _ = retriever.candidates("sorghum sales", 10)
    # A rare term: the keyword side must bring the one passage that has it, whatever the dense side thinks.
    assert any("sorghum" in p.passage.text and p.keyword for p in fused)
    result = retriever.retrieve("How many American users does TikTok have?", 20)
    scores = [p.rerank for p in result.passages]
    assert scores == sorted(scores, reverse=True)
    assert "170 million" in result.passages[0].passage.text
    assert result.passages[0].rerank > 5 > result.passages[-1].rerank


def test_streaming_yields_text_then_the_answer(seed_engine):
    items = list(seed_engine.stream("Who chairs the American Soybean Association?"))
    assert isinstance(items[-1], Answer)
    pieces = [i for i in items[:-1] if isinstance(i, str)]
    assert "".join(pieces).strip() == items[-1].text


@pytest.mark.parametrize("question", ["", "   \n\t ", "x" * 100_000])
def test_bad_questions_get_a_clear_error(seed_engine, question):
    with pytest.raises(QuestionError):
        seed_engine.answer(question)


def test_control_characters_and_mixed_scripts_are_answered(seed_engine):
    a = seed_engine.answer("Who chairs the American\x00 Soybean\x1b Association? 谁 — ¿quién?")
    assert "Josh Gackle" in a.text


def _passage(text: str, article_id: str = "003_688cffc4895f96d0") -> ScoredPassage:
    return ScoredPassage(Passage(article_id, text, 0, len(text), 0), "t", 5.0, rerank=5.0)


def test_verifier_rejects_planted_unsupported_sentences(cross_encoder):
    passages = [_passage(GACKLE)]
    draft = (
        "Josh Gackle chairs the American Soybean Association [1]. "
        "Gackle said soybean prices rose 40% in Iowa [1]. "
        "Farmers want a deal with Brazil [1]. "
        "The talks will be held in Geneva [2]."
    )
    kept, dropped = verify_draft(draft, passages, cross_encoder)
    assert [k.claim for k in kept] == ["Josh Gackle chairs the American Soybean Association."]
    reasons = " | ".join(d.reason for d in dropped)
    assert "40" in reasons and "Brazil" in reasons
    assert len(dropped) == 3


def test_verifier_repairs_a_missing_marker_only_when_supported(cross_encoder):
    passages = [_passage("The weather was mild."), _passage(GACKLE)]
    repaired = check_sentence("Josh Gackle chairs the American Soybean Association.", passages, cross_encoder)
    assert repaired.sources == [1]
    refused = check_sentence("Gackle runs a bakery in Paris.", passages, cross_encoder)
    assert "supports" in refused.reason


def test_who_wrote_is_answered_from_the_byline(seed_engine):
    a = seed_engine.answer("Who wrote the article about hopes for a trade war truce extension?")
    assert "Anderson W. White" in a.text
    assert a.citations[0].article_id == "002_8ef5243a76c53072" and a.citations[0].quote == "By Anderson W. White"


@pytest.mark.parametrize(
    "question",
    ["How old is Li Chenggang?", "Who is the CEO of TikTok?", "What tariff rate did the U.S. impose on Chinese steel?"],
)
def test_near_miss_questions_about_real_entities_are_refused(seed_engine, question):
    a = seed_engine.answer(question)
    assert a.abstained, a.text
    assert a.notice  # says why: the kind of answer asked for is missing


def test_reranker_survives_a_question_longer_than_its_window(cross_encoder):
    scores = cross_encoder.score("tariffs " * 600, ["short passage", "a longer passage " * 100])
    assert len(scores) == 2 and all(isinstance(s, float) for s in scores)


def test_reranker_scores_do_not_depend_on_batch_company_or_parallel_runs(cross_encoder, seed_settings):
    """One text per run on parallel single-threaded runs: the same scores as one serial run, or one text alone."""
    from qa.rerank import CrossEncoder

    article = (seed_settings.corpus_dir / "003_688cffc4895f96d0.txt").read_text()
    texts = [p for p in article.split("\n\n") if p.strip()][:9] + ["Unrelated text about football results."]
    question = "What did the chair of the American Soybean Association say?"
    parallel = cross_encoder.score(question, texts)
    serial = CrossEncoder(threads=2, parallel_batches=False).score(question, texts)
    alone = [cross_encoder.score(question, [text])[0] for text in texts]
    assert parallel == pytest.approx(serial, abs=1e-3)
    assert parallel == pytest.approx(alone, abs=1e-6)  # a score does not depend on the company it is scored in
    assert "Gackle" in texts[max(range(len(texts)), key=parallel.__getitem__)]
    assert parallel[-1] < -5


def test_reranker_scores_a_repeated_text_once(cross_encoder, monkeypatch):
    """Republished wire paragraphs repeat verbatim: each distinct text costs one run, and gets its own score."""
    calls = []
    score_distinct = cross_encoder._score_distinct

    def counting(query, texts):
        calls.append(list(texts))
        return score_distinct(query, texts)

    monkeypatch.setattr(cross_encoder, "_score_distinct", counting)
    question = "How many American users does TikTok have?"
    users = "TikTok, with more than 170 million American users, has become a flashpoint in bilateral relations."
    other = "Sorghum sales fell 97% in some categories."
    scores = cross_encoder.score(question, [users, other, users, users])
    assert calls == [[users, other]]
    assert scores[0] == scores[2] == scores[3] > scores[1]
    assert scores[:2] == score_distinct(question, [users, other])

    calls.clear()  # what the benchmark times for an archive without repeats: every text is run
    assert cross_encoder.score(question, [users, other, users, users], skip_repeats=False) == scores
    assert calls == [[users, other, users, users]]
