"""Reading an answer's text back into the sentences the pipeline emitted, for checks on every sentence."""

from __future__ import annotations

import re

from qa.citations import parse_markers, strip_markers
from qa.verify import draft_sentences

_LEADING_MARKERS = re.compile(r"((?:\[\d+(?:\s*,\s*\d+)*\]\s*)+)(.*)", re.S)


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer, each with its markers. A sentence that closes with a quotation keeps its
    marker after the quote ('... said.” [1] Next [2].'); the sentence splitter cuts before that marker, so
    a piece that starts with markers gives them back to the sentence before it."""
    out: list[str] = []
    for piece in draft_sentences(text):
        match = _LEADING_MARKERS.match(piece)
        if out and match:
            out[-1] += " " + match.group(1).strip()
            if match.group(2).strip():
                out.append(match.group(2).strip())
        else:
            out.append(piece)
    return out


def uncited_sentences(text: str, n_citations: int) -> list[str]:
    return [s for s in answer_sentences(text) if not parse_markers(s, n_citations)]


def answer_claims(text: str) -> list[str]:
    """The answer's sentences as lower-case words, without markers or the bold short answer ("**x**: ")."""
    text = re.sub(r"\*\*[^*]+\*\*:\s*", "", text)
    return [" ".join(re.findall(r"\w+", strip_markers(s).lower())) for s in answer_sentences(text)]
