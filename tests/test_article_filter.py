"""Questions limited to chosen articles (issue 15): every search path (keyword, Chroma, e5) keeps to them, an
unknown id is a clear error, and a refusal says the answer was limited; over the real seed corpus and models."""

from __future__ import annotations

import pytest

from index.dates import DateRange
from index.scope import Scope
from qa.question import QuestionError, article_ids

TIKTOK = "How many American users does TikTok have?"
TIKTOK_ID = "000_2586af1d1969f1c3"  # the one article that gives the number
SOYBEAN = "Who chairs the American Soybean Association?"
SOYBEAN_ID = "003_688cffc4895f96d0"  # the one article that names him
SPANISH_ID = "002_8ef5243a76c53072"  # holds the Spanish paragraph (the e5 store's)
OTHERS = ["001_5a078bd5f88d9d3b", "004_5d28d1c07f10a7a1"]


def test_article_ids_from_a_list_or_commas():
    assert article_ids(None) == article_ids("") == article_ids([" ", ""]) == frozenset()
    assert article_ids(" a, b ,,a") == article_ids(["a", "b "]) == frozenset({"a", "b"})


def test_the_chroma_filter_combines_dates_and_articles():
    assert Scope().where() is None and not Scope().bounded
    assert Scope(articles=frozenset({"b", "a"})).where() == {"article_id": {"$in": ["a", "b"]}}
    both = Scope(DateRange(since="2025-01-01"), frozenset({"a"}))
    assert both.where() == {"$and": [DateRange(since="2025-01-01").where(), {"article_id": {"$in": ["a"]}}]}
    assert both.holds("a", "2025-02-01") and not both.holds("b", "2025-02-01") and not both.holds("a", "2024-12-31")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "allowed"),
    [
        (TIKTOK, [OTHERS[0]]),  # the keyword and dense searches' best article is left out
        (SOYBEAN, [TIKTOK_ID, *OTHERS]),
        ("What does Washington want to limit regarding Chinese state companies?", [TIKTOK_ID]),  # e5's best: 002
        ("¿Cuántos usuarios estadounidenses tiene TikTok?", [SPANISH_ID]),
    ],
)
def test_every_search_path_keeps_to_the_chosen_articles(seed_engine, question, allowed):
    retriever = seed_engine.retriever
    assert retriever.multilingual is not None and retriever.multilingual.involved("en")  # e5 searched too
    scope = Scope(articles=frozenset(allowed))
    everywhere, _ = retriever.candidates(question, 20)
    assert {p.passage.article_id for p in everywhere} - set(allowed)  # unlimited, other articles come first
    limited, _ = retriever.candidates(question, 20, scope=scope)
    assert limited and {p.passage.article_id for p in limited} <= set(allowed)
    vector = retriever.query_encoder.embed_query(question)
    assert {s.passage.article_id for s in retriever.store.search(vector, 20, scope)} <= set(allowed)


@pytest.mark.slow
def test_an_excluded_best_article_is_not_cited_and_the_refusal_says_why(seed_engine):
    assert [c.article_id for c in seed_engine.answer(SOYBEAN).citations] == [SOYBEAN_ID]
    kept = seed_engine.answer(SOYBEAN, articles=[SOYBEAN_ID, TIKTOK_ID])
    assert not kept.abstained and {c.article_id for c in kept.citations} == {SOYBEAN_ID}
    assert "Josh Gackle" in kept.text

    refused = seed_engine.answer(SOYBEAN, articles=[TIKTOK_ID, *OTHERS])
    assert refused.abstained and refused.citations == []
    assert refused.notice.startswith("The answer was limited to the chosen articles: “")
    assert {c.article_id for c in refused.closest} <= {TIKTOK_ID, *OTHERS}

    one = seed_engine.answer(TIKTOK, articles=OTHERS[0])  # one id as text, as the API sends it
    assert one.abstained and "170 million" not in one.text
    assert one.notice.startswith("The answer was limited to the chosen article: “Trump and Xi Jinping")
    assert "The question asks for a number" in one.notice  # the reason follows


@pytest.mark.slow
def test_an_unknown_article_id_is_an_error_naming_it(seed_engine):
    with pytest.raises(QuestionError, match=r"unknown article id 'no_such_article': no indexed article has it"):
        seed_engine.answer(TIKTOK, articles=[TIKTOK_ID, "no_such_article"])
    with pytest.raises(QuestionError, match=r"unknown article ids '000', 'corpus/000_2586af1d1969f1c3'"):
        seed_engine.answer(TIKTOK, articles=["corpus/000_2586af1d1969f1c3", "000"])


@pytest.mark.slow
def test_the_apps_handlers_take_the_articles(seed_settings, seed_engine):
    from ui.app import App

    app = App(seed_settings, engine=seed_engine)
    assert app.api_ask(TIKTOK, "[]", "", 0, "", "", "")["citations"][0]["article_id"] == TIKTOK_ID  # "" = all
    limited = app.api_ask(SOYBEAN, "[]", "", 0, "", "", f"{TIKTOK_ID}, {OTHERS[0]}")
    assert limited["abstained"] and limited["notice"].startswith("The answer was limited to the chosen articles")
    *_, (_, turns, _, _, _) = app.chat(SOYBEAN, [], "extractive", 4, False, "", "", [SOYBEAN_ID])
    assert [c["article_id"] for c in turns[-1]["answer"]["citations"]] == [SOYBEAN_ID]
    *_, (_, turns, _, _, _) = app.chat(SOYBEAN, [], "extractive", 4, False, "", "", ["gone"])
    assert "unknown article id 'gone'" in turns[-1]["error"]

    choices = app.article_filter([SOYBEAN_ID, "gone"])  # the filter's choices: every article, by title
    assert choices["value"] == [SOYBEAN_ID]
    assert len(choices["choices"]) == 5 and (
        "Trump–Xi to discuss TikTok deal, future of U.S.-China relations (003_688cffc4895f96d0.txt)",
        SOYBEAN_ID,
    ) in [tuple(c) for c in choices["choices"]]


def test_article_choices_cut_long_titles_at_a_word_with_an_ellipsis():
    from types import SimpleNamespace

    from ui.corpus_tab import article_choices

    long = SimpleNamespace(title="Beijing and Washington " * 5, file="a.txt", article_id="a")
    short = SimpleNamespace(title="Ferry pier", file="b.txt", article_id="b")
    (label, key), short_choice = article_choices([long, short])
    assert key == "a" and label.endswith("… (a.txt)") and len(label.removesuffix(" (a.txt)")) <= 70
    assert label.startswith("Beijing and Washington Beijing") and not label.removesuffix("… (a.txt)").endswith(" ")
    assert short_choice == ("Ferry pier (b.txt)", "b")
