"""What a caller asks, checked before anything is searched: the question's text and the publication dates.

Every entry point (CLI, app, Python API, evaluation) reaches these through ``Engine.stream``; the app also
checks the dates itself so a bad one is reported before a question is sent.
"""

from __future__ import annotations

from index.dates import parse_bound
from index.errors import UserError
from index.store import DateRange

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
