"""Machine translation into English with Apertium, so that a question or a passage in another language can be read
by our English models (the cross-encoder and the reader) instead of compared by e5 similarity alone.

Apertium is a maintained rule-based translation system (GPL), installed from Debian (``apertium`` and
``apertium-eng-spa``: ``make translation-deps``); it runs offline, in about 0.1 s a call. Nothing is translated
when it is missing or has no pair for a language: those questions and passages keep the e5 path
(qa/crosslingual.py). A translation is only ever used to score and read: quotes stay verbatim in their language.

Texts are sent one per line (newlines inside a text become spaces), so a batch is one call; Apertium keeps lines.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections import OrderedDict
from functools import cached_property

log = logging.getLogger("index.translation")

# ISO 639-1 (what language detection gives) -> Apertium's code, for the languages Apertium pairs with English.
APERTIUM_CODES = {"es": "spa", "ca": "cat", "gl": "glg", "eo": "epo", "fr": "fra", "pt": "por", "it": "ita"}
TIMEOUT = 5.0  # seconds for one call (about 0.1 s is usual); a slower one stops that pair for the process
MAX_CHARS = 20_000  # characters per call: a question, or a few passages' sentences
CACHE = 4096  # texts kept translated (passage sentences come back with every question about them)


class Translator:
    """``to_english(language, texts)``: each text in English, or None when ``language`` cannot be translated
    (no Apertium, no pair, a failed or slow call). Built once and passed in; thread-safe."""

    def __init__(self, command: str = "apertium", timeout: float = TIMEOUT):
        self.command = command
        self.timeout = timeout
        self._cache: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._stalled: set[str] = set()  # pairs whose call timed out: not called again (each question would wait)
        self._lock = threading.Lock()

    @cached_property
    def pairs(self) -> frozenset[str]:
        """The installed pairs ("spa-eng", ...); empty without Apertium."""
        executable = shutil.which(self.command)
        if executable is None:
            log.warning("Apertium is not installed: questions and passages in other languages use e5 only")
            return frozenset()
        try:
            listed = subprocess.run([executable, "-l"], capture_output=True, text=True, timeout=self.timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("Apertium could not list its pairs (%s): other languages use e5 only", exc)
            return frozenset()
        return frozenset(line.strip() for line in listed.stdout.splitlines() if line.strip())

    def pair(self, language: str) -> str | None:
        """The installed, responsive pair from ``language`` into English (None for English itself)."""
        code = APERTIUM_CODES.get(language)
        pair = f"{code}-eng" if code else None
        return pair if pair in self.pairs and pair not in self._stalled else None

    def can_translate(self, language: str) -> bool:
        return self.pair(language) is not None

    def to_english(self, language: str, texts: list[str]) -> list[str] | None:
        pair = self.pair(language)
        if pair is None:
            return None
        lines = [" ".join(t.split()) for t in texts]
        with self._lock:
            missing = list(dict.fromkeys(t for t in lines if t and (pair, t) not in self._cache))
        if missing:
            translated = self._run(pair, missing)
            if translated is None:
                return None
            with self._lock:
                for source, english in zip(missing, translated, strict=True):
                    self._cache[(pair, source)] = english
                while len(self._cache) > CACHE:
                    self._cache.popitem(last=False)
        with self._lock:
            return [self._cache.get((pair, t), t) for t in lines]

    def _run(self, pair: str, lines: list[str]) -> list[str] | None:
        """One Apertium call per batch of at most MAX_CHARS; None when a call fails or loses the line count."""
        out: list[str] = []
        for batch in _batches(lines):
            translated = self._call(pair, batch)
            if translated is None:
                return None
            out += translated
        return out

    def _call(self, pair: str, lines: list[str]) -> list[str] | None:
        try:
            done = subprocess.run(
                [self.command, "-u", pair],  # -u: unknown words as they are, without Apertium's '*' mark
                input="\n".join(lines) + "\n",
                capture_output=True,
                text=True,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:
            log.warning("Apertium %s took over %.0f s: not used again by this process (e5 instead)", pair, self.timeout)
            with self._lock:
                self._stalled.add(pair)
            return None
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("Apertium %s failed (%s): using e5 for this text", pair, exc)
            return None
        translated = done.stdout.rstrip("\n").split("\n")
        if done.returncode != 0 or len(translated) != len(lines):
            log.warning(
                "Apertium %s returned %d lines for %d (exit %d)", pair, len(translated), len(lines), done.returncode
            )
            return None
        return [t.strip() for t in translated]


def _batches(lines: list[str]):
    """``lines`` (each cut at MAX_CHARS) in runs of at most MAX_CHARS characters."""
    batch: list[str] = []
    size = 0
    for line in lines:
        line = line[:MAX_CHARS]
        if batch and size + len(line) > MAX_CHARS:
            yield batch
            batch, size = [], 0
        batch.append(line)
        size += len(line)
    if batch:
        yield batch
