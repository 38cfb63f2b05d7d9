"""``[n]`` citation markers: parsing, normalising, stripping. Markers are 1-based; out-of-range ones are dropped."""

from __future__ import annotations

import re

from index.patterns import CITATION_MARKER, MARKER_NUMBERS

MARKER = CITATION_MARKER
_MARKERS_AFTER_STOP = re.compile(rf"([.!?])((?:\s*\[{MARKER_NUMBERS}\])+)")


def parse_markers(sentence: str, n_sources: int) -> list[int]:
    """The distinct 1-based source numbers cited in ``sentence``, in order, out-of-range ones dropped."""
    found: list[int] = []
    for match in MARKER.finditer(sentence):
        for number in match.group(1).split(","):
            n = int(number)
            if 1 <= n <= n_sources and n not in found:
                found.append(n)
    return found


def strip_markers(sentence: str) -> str:
    previous = None
    while previous != sentence:  # "[[1]1]": removing the inner marker makes a new one
        previous, sentence = sentence, MARKER.sub("", sentence)
    return re.sub(r"\s+([.,;:!?])", r"\1", sentence).strip()


def move_markers_before_stop(text: str) -> str:
    """ "Claim. [1] Next" -> "Claim [1]. Next": markers stay with the sentence they close."""
    return _MARKERS_AFTER_STOP.sub(lambda m: f" {m.group(2).strip()}{m.group(1)}", text)
