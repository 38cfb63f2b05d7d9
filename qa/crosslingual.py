"""Scoring a question against text in another language, where the English-only cross-encoder cannot as it is.

An English question against a text in a language Apertium translates (index/translation.py) is scored by the
cross-encoder against the text's English translation: the English models then read it, and the quote stays the
original. (A question in such a language is translated before retrieval: ``Engine.stream``.) The rest of this
module is for the languages and pairs no translation reaches:

ms-marco-MiniLM scores a Spanish question against its English answer sentence about -10, the same as
unrelated text (eval/crosslingual_calibration.jsonl). For any pair that is not English-English this scorer uses
multilingual-e5's cosine similarity instead, mapped onto the cross-encoder's logit scale so that the rest of
the answer path (sentence choice, the abstain threshold, the verifier) works unchanged:

    score = SLOPE * (similarity - THRESHOLD) + abstain_threshold

so a sentence at the calibrated e5 threshold lands exactly on the abstain threshold. A passage's similarity is
that of its best sentence (passage and sentence scores then share one scale, and the sentence vectors computed
for ranking passages are the ones the sentence choice reuses). THRESHOLD comes from
``eval/crosslingual_calibrate.py`` over eval/crosslingual_calibration.jsonl (18 questions, none of them in
eval/seed.jsonl).
"""

from __future__ import annotations

from dataclasses import dataclass

from index.language import ENGLISH, LanguageDetector
from index.multilingual import E5Encoder
from index.sentences import sentence_spans
from index.translation import Translator

THRESHOLD = (
    0.845  # e5 similarity at which a cross-lingual sentence counts as answering: 13/18 right on the calibration set
)
GAP = 0.048  # median language gap of e5 similarity, 12 translated pairs of the calibration set (0.027-0.075)
REFERENCE_TEXTS = 3  # English texts (the cross-encoder's best) an English question's other-language texts face
SLOPE = 100.0  # logits per unit of similarity: 0.025 of similarity = NEAR_BEST (2.5) of the extractive choice


@dataclass(frozen=True)
class Calibration:
    threshold: float = THRESHOLD
    slope: float = SLOPE
    gap: float = GAP
    abstain_threshold: float = -1.0

    def logit(self, similarity: float) -> float:
        return self.slope * (similarity - self.threshold) + self.abstain_threshold


class CrossLingualScorer:
    """The cross-encoder's interface (``score(query, texts)``): English-English pairs go to the cross-encoder (an
    English question and a text ``translator`` puts in English too), every other pair to calibrated e5
    similarity."""

    def __init__(
        self,
        cross_encoder,
        e5: E5Encoder,
        detector: LanguageDetector,
        calibration: Calibration,
        translator: Translator | None = None,
    ):
        self.cross_encoder = cross_encoder
        self.e5 = e5
        self.detector = detector
        self.calibration = calibration
        self.translator = translator

    def score(self, query: str, texts: list[str], skip_repeats: bool = True) -> list[float]:
        query_language = self.detector.detect(query)
        languages = [self.detector.detect(t) for t in texts]
        if query_language == ENGLISH:
            texts, languages = self.in_english(texts, languages)
        english = [i for i, lang in enumerate(languages) if lang == ENGLISH and query_language == ENGLISH]
        kept = set(english)
        other = [i for i in range(len(texts)) if i not in kept]
        scores = [0.0] * len(texts)
        if english:
            found = self.cross_encoder.score(query, [texts[i] for i in english], skip_repeats)
            for i, s in zip(english, found, strict=True):
                scores[i] = s
        if not other:
            return scores
        # On the cross-lingual scale: a pair in one language scores about GAP higher than the same pair across two.
        sims = [
            s - self.calibration.gap if languages[i] == query_language else s
            for i, s in zip(other, self.similarities(query, [texts[i] for i in other]), strict=True)
        ]
        for i, s in zip(other, sims, strict=True):
            scores[i] = self.calibration.logit(s)
        if english and any(s >= self.calibration.threshold for s in sims):
            # Texts of both kinds compete (an English question, some passages not in English): only e5 scores
            # both, so a text in another language that reaches the calibrated threshold and is closer to the
            # question than the cross-encoder's best English texts are (by e5, less the gap) ranks above them.
            top = sorted(english, key=lambda i: -scores[i])[:REFERENCE_TEXTS]
            reference = max(self.similarities(query, [texts[i] for i in top])) - self.calibration.gap
            best = scores[top[0]]
            for i, s in zip(other, sims, strict=True):
                if s >= self.calibration.threshold and s > reference:
                    scores[i] = max(scores[i], best + self.calibration.slope * (s - reference))
        return scores

    def in_english(self, texts: list[str], languages: list[str]) -> tuple[list[str], list[str]]:
        """``texts`` with those the translator can put in English replaced by their translation (for scoring
        only), and their languages to match."""
        if self.translator is None:
            return texts, languages
        texts, languages = list(texts), list(languages)
        for language in sorted({lang for lang in languages if self.translator.can_translate(lang)}):
            which = [i for i, lang in enumerate(languages) if lang == language]
            translated = self.translator.to_english(language, [texts[i] for i in which])
            for i, english in zip(which, translated or [], strict=False):
                texts[i], languages[i] = english, ENGLISH
        return texts, languages

    def similarities(self, query: str, texts: list[str]) -> list[float]:
        """Each text's best sentence's e5 similarity to ``query``."""
        pieces = [[t[s:e] for s, e in sentence_spans(t)] or [t] for t in texts]
        flat = [p for group in pieces for p in group]
        sims = self.e5.similarities(query, flat)
        out, at = [], 0
        for group in pieces:
            out.append(max(sims[at : at + len(group)]))
            at += len(group)
        return out


@dataclass(frozen=True)
class Multilingual:
    """What retrieval needs for questions and passages not in English, built once per engine and index.

    ``store`` is the e5 collection of the non-English passages (None when the index has none): only then, or
    for a question not in English, does retrieval touch e5, so English-only corpora cost what they did."""

    detector: LanguageDetector
    e5: E5Encoder
    scorer: CrossLingualScorer
    store: object | None = None  # index.store.PassageStore of the e5 collection
    translator: Translator | None = None  # None: QA_TRANSLATE=0

    def to_english(self, text: str, language: str) -> str | None:
        """``text`` (in ``language``) in English, or None when it is English or cannot be translated."""
        if self.translator is None:
            return None
        translated = self.translator.to_english(language, [text])
        return translated[0] if translated and translated[0] else None

    @property
    def has_passages(self) -> bool:
        return self.store is not None

    def involved(self, language: str) -> bool:
        """Whether a question in ``language`` needs e5: it is not English, or some passages are not."""
        return language != ENGLISH or self.has_passages
