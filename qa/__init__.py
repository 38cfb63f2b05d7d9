"""newsdesk-qa: cited answers over a news corpus.

from qa import answer
a = answer("How many American users does TikTok have?")
a.text, a.citations[0].quote, a.abstained
"""

from __future__ import annotations

import os
from collections.abc import Iterator

for _name, _value in (
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("GRADIO_ANALYTICS_ENABLED", "False"),
    ("ANONYMIZED_TELEMETRY", "False"),
    ("TOKENIZERS_PARALLELISM", "false"),
    # onnxruntime 1.32's Linux wheel bundles Microsoft's 1DS telemetry: without this, creating a session
    # looks up mobile.events.data.microsoft.com (ort.disable_telemetry_events() does not stop it).
    ("ORT_DISABLE_TELEMETRY", "1"),
):
    os.environ.setdefault(_name, _value)

from qa.settings import Settings  # noqa: E402
from qa.types import Answer, Citation  # noqa: E402

__all__ = ["Answer", "Citation", "Settings", "answer", "stream_answer"]


def answer(
    question: str, history: list[dict] | None = None, settings: Settings | None = None, engine=None, **options
) -> Answer:
    """Answer ``question`` from the corpus; ``history`` is earlier turns [{"role", "content"}]. ``engine``: a
    ``qa.pipeline.Engine`` built before, whose models stay loaded between questions (without one, each call
    builds an engine for ``settings``, by default the ``QA_*`` environment)."""
    return _engine(settings, engine).answer(question, history, **options)


def stream_answer(
    question: str, history: list[dict] | None = None, settings: Settings | None = None, engine=None, **options
) -> Iterator[str | Answer]:
    """Yields the answer text as it is verified, then the final ``Answer``."""
    yield from _engine(settings, engine).stream(question, history, **options)


def _engine(settings: Settings | None, engine):
    from qa.pipeline import Engine

    return engine or Engine(settings or Settings.from_env())
