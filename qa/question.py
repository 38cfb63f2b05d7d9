"""What a caller asks, checked before anything is searched: the question's text, the publication dates and the
articles to answer from.

Every entry point (CLI, app, Python API, evaluation) reaches these through ``Engine.stream``; the app also
checks the dates itself so a bad one is reported before a question is sent.
"""

from __future__ import annotations

from collections.abc import Iterable

from index.dates import DateRange, parse_bound
from index.errors import UserError

MAX_QUESTION_CHARS = 2000


class QuestionError(UserError):
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


def article_ids(articles: Iterable[str] | str | None) -> frozenset[str]:
    """The ids of the articles to answer from (empty: all): a list, or one text of ids separated by commas."""
    if isinstance(articles, str):
        articles = articles.split(",")
    return frozenset(i for i in (str(a).strip() for a in articles or ()) if i)


def check_articles(ids: frozenset[str], titles: dict[str, str]) -> str:
    """What a refusal says about the chosen articles ("" for all); an id no indexed article has is a
    QuestionError naming it."""
    unknown = sorted(ids - set(titles))
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise QuestionError(
            f"unknown article id{plural} {', '.join(map(repr, unknown))}: no indexed article has {'them' if plural else 'it'}"
            " (an id is the article file's path in the corpus folder, without its extension)"
        )
    if not ids:
        return ""
    names = ", ".join(f"“{titles[i] or i}”" for i in sorted(ids))
    return f"The answer was limited to the chosen article{'s' if len(ids) > 1 else ''}: {names}."
