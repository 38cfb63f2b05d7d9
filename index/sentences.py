"""Sentence boundaries as character offsets, tuned for news prose (U.S., initials, titles)."""

from __future__ import annotations

import re

from index.patterns import MARKER_NUMBERS

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "inc", "co", "corp", "ltd", "no", "gen", "sen",
    "rep", "gov", "lt", "col", "capt", "sgt", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "vs", "etc", "approx", "dept", "est", "fig", "mt", "ft",
}  # fmt: skip
_CONTINUES_ACRONYM = {
    "Treasury", "President", "Secretary", "Congress", "Senate", "House", "Trade", "Commerce", "Department",
    "Embassy", "Supreme", "Court", "Army", "Navy", "Air", "Federal", "State", "Representative", "Ambassador",
    "Chamber", "Agriculture", "Customs", "Open", "Census", "Government", "Administration", "Central", "Marine",
    "Justice", "Attorney", "Vice", "Defense", "Energy", "Food", "Postal", "Coast", "Geological", "Capitol",
}  # fmt: skip
# End punctuation, optional closing quotes/brackets, then space and something that can start a sentence.
# Citation markers right after the punctuation ("... said.” [2] Next") stay with the sentence they close.
_BOUNDARY = re.compile(rf"[.!?]+[\"'”’)\]]*(?:\s*\[{MARKER_NUMBERS}\])*(?=\s+[\"'“‘(\[]?[A-Z0-9¿¡])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


def _is_abbreviation(text: str, dot_end: int) -> bool:
    """True when the '.' ending at ``dot_end`` closes an abbreviation or an initial, not a sentence."""
    match = _WORD_BEFORE.search(text[max(0, dot_end - 12) : dot_end])
    if not match:
        return False
    word = match.group(1)
    if len(word) == 1 and word.isupper():  # an initial: "Anderson W. White"
        return True
    if "." in word and len(word.replace(".", "")) <= 3 and word.replace(".", "").isupper():
        # "U.S. Treasury Secretary" goes on; "... in the U.S. TikTok, with ..." starts a new sentence.
        following = text[dot_end : dot_end + 30].split()
        return not following or following[0].strip("\"'“‘(") in _CONTINUES_ACRONYM
    return word.lower() in _ABBREVIATIONS


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans ``(s, e)`` of the sentences in ``text[start:end]``, stripped of white space.

    A line break always ends a sentence: headlines and bylines carry no full stop.
    """
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        out.extend(_line_sentences(text, start + line.start(), start + line.end()))
    return out


def _line_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        stop = match.end()
        if re.match(r"\.(?![.!?])", match.group()) and _is_abbreviation(text, match.start() + 1):
            continue
        spans.append((cursor, stop))
        cursor = stop
    spans.append((cursor, end))
    return [span for span in (trimmed(text, s, e) for s, e in spans) if span]


def trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``text[start:end]`` without its leading and trailing white space, as offsets; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
