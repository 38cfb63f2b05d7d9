"""newsdesk-qa: cited answers over a news corpus.

from qa import answer
a = answer("How many American users does TikTok have?")
a.text, a.citations[0].quote, a.abstained
"""

from __future__ import annotations

from collections.abc import Iterator

import index  # noqa: F401  (importing it keeps the libraries offline: index/offline.py)
from qa.settings import Settings
from qa.types import Answer, Citation

__all__ = ["Answer", "Citation", "Settings", "answer", "stream_answer"]


def answer(question: str, history: list[dict] | None = None, settings: Settings | None = None, **options) -> Answer:
    """Answer ``question`` from the corpus; ``history`` is earlier turns [{"role", "content"}]."""
    from qa.pipeline import engine_for

    return engine_for(settings or Settings.from_env()).answer(question, history, **options)


def stream_answer(
    question: str, history: list[dict] | None = None, settings: Settings | None = None, **options
) -> Iterator[str | Answer]:
    """Yields the answer text as it is verified, then the final ``Answer``."""
    from qa.pipeline import engine_for

    yield from engine_for(settings or Settings.from_env()).stream(question, history, **options)
