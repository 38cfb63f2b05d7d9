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


def answer(
    question: str, history: list[dict] | None = None, settings: Settings | None = None, engine=None, **options
) -> Answer:
    """Answer ``question`` from the corpus; ``history`` is earlier turns [{"role", "content"}]. ``engine``: a
    ``qa.pipeline.Engine`` built before, whose models stay loaded between questions (without one, each call
    builds an engine for ``settings``, by default the ``QA_*`` environment). ``options``: ``generator``, ``top_k``,
    ``since``/``until`` (YYYY-MM-DD) and ``articles`` (article ids; empty: all), as ``Engine.stream`` takes them."""
    return _engine(settings, engine).answer(question, history, **options)


def stream_answer(
    question: str, history: list[dict] | None = None, settings: Settings | None = None, engine=None, **options
) -> Iterator[str | Answer]:
    """Yields the answer text as it is verified, then the final ``Answer``."""
    yield from _engine(settings, engine).stream(question, history, **options)


def _engine(settings: Settings | None, engine):
    from qa.pipeline import Engine

    return engine or Engine(settings or Settings.from_env())
