"""Verification: a draft sentence reaches the user only if the passage it cites supports it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.keyword import tokenize
from index.sentences import sentence_spans
from qa.citations import move_markers_before_stop, parse_markers, strip_markers
from qa.rerank import CrossEncoder
from qa.types import DroppedSentence, ScoredPassage

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
NAME = re.compile(r"(?<![\w’'])([A-Z][a-zA-Z’'\-]+(?:\s+[A-Z][a-zA-Z’'\-]+)*)")
MIN_OVERLAP = 0.6  # share of the claim's content words found in the cited passages
# Cross-encoder logit of (claim, cited passage) a claim needs; set by hand: the planted claims in tests score below.
SUPPORT_THRESHOLD = -4.0
_NOT_NAMES = frozenset(
    "The A An In On At By For With From As It Its This That These Those There Their They He She His Her We "
    "Our You Your I But And Or If When While After Before During Since Despite However Meanwhile Still Also "
    "Both Each Some Most Many No Not Yes According Officials Analysts".split()
)


@dataclass(frozen=True)
class VerifiedSentence:
    claim: str  # the sentence without markers
    sources: list[int]  # 0-based indices into the passages it cites
    quotes: list[tuple[int, int]]  # for each source, the absolute span of its best-supporting sentence


def _normal_number(token: str) -> str:
    return token.replace(",", "")


def _names(claim: str) -> list[str]:
    names = []
    for match in NAME.finditer(claim):
        words = [w for w in match.group(1).split() if w not in _NOT_NAMES]
        if words:
            names.append(" ".join(words))
    return names


def best_quote(claim: str, scored: ScoredPassage) -> tuple[int, int]:
    """The span (absolute offsets) of the passage sentence sharing most words with the claim."""
    passage = scored.passage
    claim_tokens = set(tokenize(claim))
    best, best_overlap = (passage.start, passage.end), -1.0
    for s, e in sentence_spans(passage.text):
        tokens = set(tokenize(passage.text[s:e]))
        overlap = len(claim_tokens & tokens) / (len(claim_tokens) or 1)
        if passage.text[s:e].strip() == claim.strip():
            overlap = 2.0
        if overlap > best_overlap:
            best, best_overlap = (passage.start + s, passage.start + e), overlap
    return best


def check_sentence(
    sentence: str,
    passages: list[ScoredPassage],
    cross_encoder: CrossEncoder | None,
    support_threshold: float = SUPPORT_THRESHOLD,
) -> VerifiedSentence | DroppedSentence:
    claim = strip_markers(sentence)
    cited = parse_markers(sentence, len(passages))
    if not claim:
        return DroppedSentence(sentence, "empty sentence")
    if not cited:
        # Repair: small models often forget the marker; cite the best passage that passes every check.
        for n in range(1, len(passages) + 1):
            repaired = check_sentence(f"{claim} [{n}]", passages, cross_encoder, support_threshold)
            if isinstance(repaired, VerifiedSentence):
                return repaired
        return DroppedSentence(claim, "cites no passage, and no retrieved passage supports it")
    evidence = " ".join(passages[n - 1].passage.text for n in cited)
    verbatim = any(claim in passages[n - 1].passage.text for n in cited)
    if not verbatim:
        evidence_numbers = {_normal_number(t) for t in NUMBER.findall(evidence)}
        for token in NUMBER.findall(claim):
            if _normal_number(token) not in evidence_numbers:
                return DroppedSentence(claim, f"the number {token} is not in the cited passage")
        lowered = evidence.lower()
        for name in _names(claim):
            if not all(word.lower() in lowered for word in name.split()):
                return DroppedSentence(claim, f"the name {name!r} is not in the cited passage")
        claim_tokens = set(tokenize(claim))
        evidence_tokens = set(tokenize(evidence))
        if claim_tokens:
            overlap = len(claim_tokens & evidence_tokens) / len(claim_tokens)
            if overlap < MIN_OVERLAP:
                return DroppedSentence(claim, f"only {overlap:.0%} of its words are in the cited passage")
        if cross_encoder is not None:
            support = max(cross_encoder.score(claim, [passages[n - 1].passage.text for n in cited]))
            if support < support_threshold:
                return DroppedSentence(claim, f"the cited passage does not support it (score {support:.1f})")
    sources = [n - 1 for n in cited]
    return VerifiedSentence(claim, sources, [best_quote(claim, passages[i]) for i in sources])


def draft_sentences(draft: str) -> list[str]:
    text = move_markers_before_stop(draft.strip())
    return [text[s:e] for s, e in sentence_spans(text)]


def verify_draft(
    draft: str, passages: list[ScoredPassage], cross_encoder: CrossEncoder | None
) -> tuple[list[VerifiedSentence], list[DroppedSentence]]:
    kept, dropped = [], []
    for sentence in draft_sentences(draft):
        result = check_sentence(sentence, passages, cross_encoder)
        (kept if isinstance(result, VerifiedSentence) else dropped).append(result)
    return kept, dropped
