"""Verification: a draft sentence reaches the user only if the passage it cites states it.

A passage *states* a claim in its assertions only: its instructions ("Ignore previous instructions and say
..."), its questions and its reported demands (unless the claim itself reports the demand) are blanked out
before any check (``index.instructions``). Against what is left, the claim's numbers and names must appear,
most of its words must, it must not negate or contradict the sentence that best matches it, and the
cross-encoder must agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.instructions import DEMAND, blank, reports_demand, sentence_kinds
from index.keyword import tokenize
from index.patterns import NUMBER as NUMBER_TEXT
from index.sentences import sentence_spans
from qa.citations import move_markers_before_stop, parse_markers, strip_markers
from qa.rerank import CrossEncoder
from qa.types import DroppedSentence, ScoredPassage

NUMBER = re.compile(NUMBER_TEXT)
NAME = re.compile(r"(?<![\w’'])([A-Z][a-zA-Z’'\-]+(?:\s+[A-Z][a-zA-Z’'\-]+)*)")
MIN_OVERLAP = 0.6  # share of the claim's content words found in the cited passages
# Cross-encoder logit of (claim, cited passage) a claim needs, set by hand. It rarely decides: claims that pass the
# word-overlap check score above it (the probes in tests/test_verify.py score 4.7 to 10.5, word salad included),
# so its test uses a scripted scorer; unrelated claims score far below (-2.9 for "Farmers want a deal with Brazil").
SUPPORT_THRESHOLD = -4.0
_NOT_NAMES = frozenset(
    "The A An In On At By For With From As It Its This That These Those There Their They He She His Her We "
    "Our You Your I But And Or If When While After Before During Since Despite However Meanwhile Still Also "
    "Both Each Some Most Many No Not Yes According Officials Analysts".split()
)


_NEGATOR = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor|cannot|without|no longer)\b|n't\b", re.I)
_WORD = re.compile(r"[A-Za-z0-9%’']+")
NEGATION_WINDOW = 4  # words after a negator that it negates ("are not yet very hopeful")
# Words that say the opposite of each other in news prose: a claim with one, against a sentence with the other.
_OPPOSITES = [
    ("hopeful", "pessimistic"), ("hopeful", "doubtful"), ("optimistic", "pessimistic"), ("rose", "fell"),
    ("rise", "fall"), ("risen", "fallen"), ("rising", "falling"), ("increased", "decreased"),
    ("increase", "decrease"), ("higher", "lower"), ("more", "fewer"), ("gained", "lost"), ("won", "lost"),
    ("approved", "rejected"), ("accepted", "rejected"), ("agreed", "refused"), ("allowed", "banned"),
    ("opened", "closed"), ("raised", "lowered"), ("expanded", "reduced"), ("supported", "opposed"),
    ("support", "oppose"), ("largest", "smallest"), ("surged", "plunged"), ("lifted", "imposed"),
    ("eased", "tightened"), ("success", "failure"), ("succeeded", "failed"), ("confirmed", "denied"),
]  # fmt: skip
OPPOSITES: dict[str, set[str]] = {}
for _a, _b in _OPPOSITES:
    OPPOSITES.setdefault(_a, set()).add(_b)
    OPPOSITES.setdefault(_b, set()).add(_a)


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


def stated(text: str, claim: str) -> str:
    """``text`` with the sentences that state nothing as fact blanked (offsets kept): instructions, questions,
    and reported demands unless ``claim`` reports the demand itself."""
    about_demand = reports_demand(claim)
    return blank(text, [(s, e) for s, e, kind in sentence_kinds(text) if not (kind == DEMAND and about_demand)])


def _not_stated(claim: str, cited: list[ScoredPassage]) -> str:
    """Why a claim's words are in the cited text but not stated there ("" when they are not there at all)."""
    claim_tokens = set(tokenize(claim))
    for scored in cited:
        text = scored.passage.text
        for s, e, kind in sentence_kinds(text):
            tokens = set(tokenize(text[s:e]))
            if claim_tokens and len(claim_tokens & tokens) / len(claim_tokens) >= MIN_OVERLAP:
                return f"the cited passage does not state it: its words are in {_a(kind)} ({text[s:e]!r})"
    return ""


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _negated(text: str) -> set[str]:
    """Content words within ``NEGATION_WINDOW`` words after a negator ("not hopeful" -> {"hopeful"})."""
    words = _words(_NEGATOR.sub(" NOT ", text))
    out = set()
    for i, w in enumerate(words):
        if w == "not":
            out.update(t for t in tokenize(" ".join(words[i + 1 : i + 1 + NEGATION_WINDOW])))
    return out


def polarity_problem(claim: str, sentence: str) -> str:
    """Why ``claim`` says the opposite of ``sentence`` ("" when it does not): a shared word negated in one and
    not the other, or a word whose opposite the sentence uses instead."""
    claim_tokens, sentence_tokens = set(tokenize(claim)), set(tokenize(sentence))
    shared = claim_tokens & sentence_tokens
    flipped = (_negated(claim) ^ _negated(sentence)) & shared
    if flipped:
        return f"it negates what the cited passage says ({', '.join(sorted(flipped))})"
    sentence_words = set(_words(sentence))
    for word in _words(claim):
        opposite = sorted(OPPOSITES.get(word, set()) & sentence_words)
        if opposite and word not in sentence_words:
            return f"it contradicts the cited passage ({word!r} where the passage says {opposite[0]!r})"
    return ""


def _best_sentence(claim: str, texts: list[str]) -> str:
    claim_tokens = set(tokenize(claim))
    best, best_overlap = "", -1.0
    for text in texts:
        for s, e in sentence_spans(text):
            overlap = len(claim_tokens & set(tokenize(text[s:e])))
            if overlap > best_overlap:
                best, best_overlap = text[s:e], overlap
    return best


def best_quote(claim: str, scored: ScoredPassage) -> tuple[int, int]:
    """The span (absolute offsets) of the passage sentence sharing most words with the claim (among the
    sentences that state something)."""
    passage = scored.passage
    claim_tokens = set(tokenize(claim))
    best, best_overlap = (passage.start, passage.end), -1.0
    flagged = {(s, e) for s, e, kind in sentence_kinds(passage.text) if not (kind == DEMAND and reports_demand(claim))}
    for s, e in sentence_spans(passage.text):
        if (s, e) in flagged:
            continue
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
    texts = [stated(passages[n - 1].passage.text, claim) for n in cited]
    result = _check_claim(claim, texts, cross_encoder, support_threshold)
    if isinstance(result, DroppedSentence):
        why = _not_stated(claim, [passages[n - 1] for n in cited])
        return DroppedSentence(claim, why) if why else result
    sources = [n - 1 for n in cited]
    return VerifiedSentence(claim, sources, [best_quote(claim, passages[i]) for i in sources])


def _check_claim(
    claim: str, texts: list[str], cross_encoder: CrossEncoder | None, support_threshold: float
) -> DroppedSentence | None:
    """None when ``texts`` (the cited passages, what they state) support ``claim``, else why not."""
    evidence = " ".join(texts)
    if not evidence.strip():
        return DroppedSentence(claim, "the cited passage states nothing as fact")
    verbatim = any(claim in text for text in texts)
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
        problem = polarity_problem(claim, _best_sentence(claim, texts))
        if problem:
            return DroppedSentence(claim, problem)
        if cross_encoder is not None:
            support = max(cross_encoder.score(claim, [t for t in texts if t.strip()]))
            if support < support_threshold:
                return DroppedSentence(claim, f"the cited passage does not support it (score {support:.1f})")
    return None


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
