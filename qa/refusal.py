"""What a refusal says, in one place: the text, the reasons, and how a model's "the articles don't say" is told.

The prompt (qa/generators/prompt.py) asks a model to reply with ``ABSTAIN_TEXT`` exactly when the passages do
not answer; the engine shows the same text when it refuses, with the closest passages and a notice saying why.
"""

from __future__ import annotations

from index.language import language_name
from index.pdf import page_of
from qa.types import Citation, ScoredPassage

ABSTAIN_TEXT = "The articles don't say."
MODEL_ABSTAINED = "the model said the articles don't say"
READER_REFUSAL = "The closest passages are on the topic, but our reader finds no answer to the question in them."
CLOSEST_SHOWN = 3  # passages shown with a refusal


def says_articles_dont_say(claim: str) -> bool:
    """A model's sentence that is its refusal rather than a claim (exactly, or in other words around it)."""
    return claim == ABSTAIN_TEXT or "articles don't say" in claim.lower()


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


def closest_citations(passages: list[ScoredPassage]) -> list[Citation]:
    """The passages shown with a refusal, each quoted whole."""
    return [
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
        for i, p in enumerate(passages[:CLOSEST_SHOWN])
    ]
