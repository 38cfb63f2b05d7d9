"""Publication dates: found in each format, stored with every passage, carried by citations, and a filter
(``since``/``until``) that changes which articles answer, through ``qa ask`` in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from index.dates import DateRange, find_date, parse_bound, parse_date
from index.ingest import ingest
from index.load import load_article
from index.store import PassageStore
from qa.question import QuestionError, date_range

# Two reports of the same fare, a year apart, and one with no date at all.
FARE_2024 = """---
title: Island ferry fare rises
date: 2024-05-02
author: Ann Lee
---

# Island ferry fare rises

The Port Elm harbour authority said the ferry fare to Gull Island rose to 4 euros for adults.

The authority said the new fare pays for a second boat on summer weekends.
"""
FARE_2025 = """Island ferry fare rises again
PORT ELM, Oct. 14, 2025 — The Port Elm harbour authority said the ferry fare to Gull Island rose to 6 euros for adults.

The authority said fuel costs had doubled since the last increase.
"""
FARE_UNDATED = """Ferry timetable changes
The Port Elm harbour authority said the ferry fare to Gull Island stays the same for children under twelve.
"""
QUESTION = "What did the Port Elm harbour authority say about the ferry fare to Gull Island?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WASHINGTON, Oct. 14, 2025 — The talks resumed on Tuesday after a long pause in the negotiations.", "2025-10-14"),
        ("Talks resume\nBy Ann Lee, Sept. 3, 2025\n\nThe talks resumed.", "2025-09-03"),
        ("Talks resume\n14 October 2025\n\nThe talks resumed.", "2025-10-14"),
        ("LONDON, 26-FEB-1987 - The Bank of England said it had provided the money market with help today.", "1987-02-26"),
        ("Talks resume\nThe deal was signed on March 3, 2024 by the long-winded committee of several people, who then went home.", None),
        ("Talks resume\nThe talks resumed on Friday, officials said this week.", None),
        ("Talks resume\nOct. 2025\n\nNo day, no date.", None),
    ],
)  # fmt: skip
def test_find_date_in_datelines_date_lines_and_bylines(text, expected):
    assert find_date(text) == expected


def test_parse_date_and_bounds():
    assert parse_date("2025-10-14T08:30:00Z") == "2025-10-14"
    assert parse_date("Tuesday, Oct 14 2025") == "2025-10-14"
    for spelling in ("Oct. 14, 2025", "October 14th 2025", "14 Oct. 2025", "14-OCT-2025", "Sept. 3, 2025"):
        assert parse_date(spelling) == ("2025-09-03" if "Sept" in spelling else "2025-10-14"), spelling
    for no_date in ("next week", "Friday", "Oct. 2025", "", "2025-10-99"):
        assert parse_date(no_date) is None, no_date
    assert parse_bound(" 2025-09-01 ") == "2025-09-01"
    for bad in ("2025-13-01", "Sept 1", "2025/09/01", ""):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            parse_bound(bad)
    with pytest.raises(QuestionError, match="after until"):
        date_range("2025-10-01", "2025-09-01")
    with pytest.raises(QuestionError, match="since"):
        date_range("last week", None)


def test_date_range_keeps_undated_articles_only_when_unbounded():
    assert DateRange().holds(None) and DateRange().where() is None
    since = DateRange(since="2025-01-01")
    assert since.holds("2025-10-14") and not since.holds("2024-05-02") and not since.holds(None)
    until = DateRange(until="2024-12-31")
    assert until.holds("2024-05-02") and not until.holds("2025-10-14") and not until.holds(None)


def test_each_format_carries_its_date(tmp_path):
    (tmp_path / "a.md").write_text(FARE_2024, encoding="utf-8")
    (tmp_path / "b.txt").write_text(FARE_2025, encoding="utf-8")
    (tmp_path / "c.txt").write_text(FARE_UNDATED, encoding="utf-8")
    md, txt, undated = (load_article(tmp_path / name, tmp_path) for name in ("a.md", "b.txt", "c.txt"))
    assert (md.date, md.title, md.byline) == ("2024-05-02", "Island ferry fare rises", "By Ann Lee")
    assert not md.text.startswith("---") and "date: 2024" not in md.text  # front matter is not article text
    assert txt.date == "2025-10-14" and undated.date is None


@pytest.fixture(scope="module")
def fares(tmp_path_factory, embedder):
    from qa.settings import Settings

    base = tmp_path_factory.mktemp("fares")
    corpus = base / "corpus"
    corpus.mkdir()
    for name, text in (("fare_2024.md", FARE_2024), ("fare_2025.txt", FARE_2025), ("fare_undated.txt", FARE_UNDATED)):
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=base / "index", data_dir=base / "data")
    ingest(settings, embedder)
    return settings


@pytest.mark.slow
def test_the_store_keeps_each_articles_date_and_a_changed_date_reingests(fares, embedder):
    store = PassageStore(fares, embedder.name, embedder.dim, create=False)
    records = store.articles()
    assert {k: r.date for k, r in records.items()} == {
        "fare_2024": "2024-05-02",
        "fare_2025": "2025-10-14",
        "fare_undated": None,
    }
    metas = store.collection.get(include=["metadatas"])["metadatas"]
    assert {(m["article_id"], m["date"], m["date_num"]) for m in metas} == {
        ("fare_2024", "2024-05-02", 20240502),
        ("fare_2025", "2025-10-14", 20251014),
        ("fare_undated", "", 0),
    }
    assert {p.passage.article_id: p.date for p in store.passages()}["fare_2025"] == "2025-10-14"
    path = fares.corpus_dir / "fare_2024.md"
    path.write_text(FARE_2024.replace("2024-05-02", "2024-05-03"), encoding="utf-8")
    try:
        assert ingest(fares, embedder).updated == ["fare_2024"]  # only the date changed
    finally:
        path.write_text(FARE_2024, encoding="utf-8")
        ingest(fares, embedder)


def _ask(settings, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        {"QA_CORPUS_DIR": str(settings.corpus_dir), "QA_INDEX_DIR": str(settings.index_dir)},
        QA_DATA_DIR=str(settings.data_dir),
    )
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_qa_ask_since_and_until_change_which_articles_are_cited(fares):
    runs = {}
    for label, flags in {
        "all": [],
        "since": ["--since", "2025-01-01"],
        "until": ["--until", "2024-12-31"],
    }.items():
        result = _ask(fares, "--json", *flags, QUESTION)
        assert result.returncode == 0, result.stderr
        payload = json.loads(result.stdout)
        assert not payload["abstained"], payload["text"]
        assert all("date" in c for c in payload["citations"])
        runs[label] = {(c["article_id"], c["date"]) for c in payload["citations"]}
    assert runs["since"] == {("fare_2025", "2025-10-14")}
    assert runs["until"] == {("fare_2024", "2024-05-02")}
    assert runs["all"] - runs["since"]  # unfiltered, another article is cited too
    readable = _ask(fares, "--since", "2025-01-01", QUESTION)
    assert "6 euros" in readable.stdout and "(2025-10-14; fare_2025" in readable.stdout
    empty = json.loads(_ask(fares, "--json", "--since", "2030-01-01", QUESTION).stdout)
    assert empty["abstained"] and empty["citations"] == []
    assert (
        empty["notice"]
        == "no indexed article was published since 2030-01-01 (undated articles are outside any date range)"
    )
    bad = _ask(fares, "--since", "last week", QUESTION)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_the_apps_date_filter_and_api_change_which_articles_are_cited(fares):
    from ui.app import App

    app = App(fares)
    since = app.api_ask(QUESTION, "[]", "", 0, "2025-01-01", "")
    until = app.api_ask(QUESTION, "[]", "", 0, "", "2024-12-31")
    assert {(c["article_id"], c["date"]) for c in since["citations"]} == {("fare_2025", "2025-10-14")}
    assert {(c["article_id"], c["date"]) for c in until["citations"]} == {("fare_2024", "2024-05-02")}

    *_, (messages, turns, panel, _, _) = app.chat(QUESTION, [], "extractive", 4, False, "", "2024-12-31")
    assert [c["article_id"] for c in turns[-1]["answer"]["citations"]] == ["fare_2024"]
    assert "May 2, 2024" in panel and "fare_2025" not in panel  # the sources panel shows the date
    *_, (messages, turns, panel, _, _) = app.chat(QUESTION, [], "extractive", 4, False, "2025-01-01", "")
    assert [c["article_id"] for c in turns[-1]["answer"]["citations"]] == ["fare_2025"]
    assert "Oct 14, 2025" in panel and "fare_2024" not in panel

    *_, (messages, turns, panel, _, _) = app.chat(QUESTION, [], "extractive", 4, False, "14/10/2025", "")
    assert "Date filter" in turns[-1]["error"] and "YYYY-MM-DD" in turns[-1]["error"]

    table, _, _ = app.corpus_view()
    rows = {row[-1]: row for row in table}  # the file name is the last column; title and date lead
    assert rows["fare_2024.md"][:2] == ["Island ferry fare rises", "2024-05-02"]
    assert rows["fare_undated.txt"][:2] == ["Ferry timetable changes", ""]


@pytest.mark.slow
def test_dates_and_articles_limit_a_question_together(fares, embedder):
    """Chroma's filter takes both at once (index/scope.py), and so does the engine: the 2025 article is not
    chosen, the undated one is outside the dates."""
    from index.scope import Scope
    from qa.pipeline import Engine

    store = PassageStore(fares, embedder.name, embedder.dim, create=False)
    both = Scope(DateRange(since="2024-01-01"), frozenset({"fare_2024", "fare_undated"}))
    hits = store.search(embedder.embed_query(QUESTION), 10, both)
    assert hits and {(s.passage.article_id, s.date) for s in hits} == {("fare_2024", "2024-05-02")}
    a = Engine(fares).answer(QUESTION, since="2024-01-01", articles=["fare_2024", "fare_undated"])
    assert {c.article_id for c in a.citations} == {"fare_2024"}


def test_prefer_recent_drops_older_near_best_passages_only():
    from index.types import Passage
    from qa.recency import asks_for_latest, prefer_recent
    from qa.types import ScoredPassage

    def scored(article_id: str, rerank: float, date: str | None) -> ScoredPassage:
        return ScoredPassage(Passage(article_id, "t", 0, 1, 0), article_id, rerank, rerank=rerank, date=date)

    old, new, undated, weak = (
        scored("old", 5.0, "2024-05-02"),
        scored("new", 4.0, "2025-10-14"),
        scored("undated", 4.5, None),
        scored("weak", -3.0, "2023-01-01"),
    )
    assert prefer_recent([old, undated, new, weak]) == [undated, new, weak]
    assert prefer_recent([old, scored("new", 1.0, "2025-10-14")]) == [old, scored("new", 1.0, "2025-10-14")]
    assert prefer_recent([old, undated]) == [old, undated]  # one dated article: nothing to prefer
    assert asks_for_latest("What is the latest fare?") and asks_for_latest("the most recent figures")
    assert not asks_for_latest("What is the ferry fare?")


@pytest.mark.slow
def test_a_latest_question_cites_the_newer_article(fares):
    from qa.pipeline import Engine

    engine = Engine(fares)
    plain = {c.article_id for c in engine.answer("What was the ferry fare to Gull Island for adults?").citations}
    latest = {c.article_id for c in engine.answer("What is the latest ferry fare to Gull Island for adults?").citations}
    assert "fare_2024" in plain  # without "latest", the older report answers too
    assert latest == {"fare_2025"}
