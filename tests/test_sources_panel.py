"""The sources panel (ui/sources_panel.py): one card per article holding each of its cited passages, the question
shortened in its header, scores in words with the number on hover, and a citation to a deleted article that says so
instead of offering a dead link."""

from __future__ import annotations

import re

from index.types import Article
from ui.sources_panel import match_words, sources_panel

TEXT = "First paragraph about the talks.\nSecond paragraph with the figure.\nThird paragraph."
ARTICLE = Article("000_talks", "Talks in Madrid", TEXT, "/corpus/000_talks.txt")


def cite(n: int, article_id: str, start: int, end: int, score: float = 6.0) -> dict:
    return {"n": n, "article_id": article_id, "title": "Talks in Madrid", "quote": TEXT[start:end], "start": start,
            "end": end, "score": score}  # fmt: skip


def panel(citations: list[dict], question: str = "What was said?", show_scores: bool = False, articles=None) -> str:
    articles = {"000_talks": ARTICLE} if articles is None else articles
    answer = {"question": question, "text": "...", "citations": citations, "abstained": False}
    return sources_panel([{"question": question, "answer": answer, "error": ""}], show_scores, articles.get)


def test_one_card_per_article_with_each_cited_passage_in_it():
    other = {"n": 2, "article_id": "001_other", "title": "Other", "quote": "Other.", "start": 0, "end": 6}
    html = panel([cite(1, "000_talks", 0, 32), other, cite(3, "000_talks", 33, 66)], articles={"000_talks": ARTICLE})
    assert html.count('<li class="nq-card"') == 2
    first = html[html.index('data-article="000_talks"') : html.index('data-article="001_other"')]
    assert first.count('class="nq-quote"') == 2 and 'id="src-0-1"' in first and 'id="src-0-3"' in first
    assert first.count("Talks in Madrid") == 1  # the title once, not once per passage


def test_the_header_shortens_a_long_question_and_keeps_it_whole_on_hover():
    question = "What did the officials say " + "about the talks " * 20 + "in the end?"
    html = panel([cite(1, "000_talks", 0, 32)], question=question)
    shown = re.search(r'Sources for <q title="([^"]*)">([^<]*)</q>', html)
    assert shown and shown.group(1) == question and len(shown.group(2)) <= 90 and shown.group(2).endswith("…")


def test_scores_are_words_with_the_number_on_hover_when_asked_for():
    assert [match_words(s) for s in (6.1, 5.0, 0.3, -6.1)] == ["strong match", "strong match", "partial match",
                                                                "weak match"]  # fmt: skip
    html = panel([cite(1, "000_talks", 0, 32, score=-6.1)], show_scores=True)
    assert 'title="cross-encoder relevance -6.10 (logit)">weak match<' in html
    assert "match<" not in panel([cite(1, "000_talks", 0, 32)], show_scores=False)


def test_a_deleted_article_says_so_and_offers_no_link():
    html = panel([cite(1, "000_talks", 0, 32)], articles={})
    assert "no longer in the corpus folder" in html and "Open full article" not in html
