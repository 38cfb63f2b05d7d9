"""Generators turn a question and numbered passages into a draft with ``[n]`` markers.

A generator is any object with ``name`` and ``draft(question, passages) -> Iterator[str]`` that yields
pieces of text as they are produced; ``[n]`` refers to ``passages[n-1]``. ``hint`` is the short answer our
reader found (and its passage), offered to a model as the thing to phrase. The draft is then verified
(see ``qa.verify``) before anything reaches the user. ``get_generator`` is the registry by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from qa.settings import Settings
    from qa.types import ScoredPassage


class GeneratorError(RuntimeError):
    """A generator could not produce a draft (model missing, endpoint down, timeout, garbage)."""


FIXES = {
    "local": "To fix it, the operator can point QA_MODEL_PATH at a working .gguf model file (or leave it empty for "
    "the bundled one); meanwhile choose the extractive generator.",
    "openai": "To fix it, the operator can check that the server at QA_OPENAI_BASE_URL is running and that "
    "QA_OPENAI_MODEL and the key in the variable named by QA_OPENAI_API_KEY_ENV are right; meanwhile choose the "
    "extractive generator.",
}


def generator_fix(name: str) -> str:
    """What to do when the generator ``name`` fails (one or two sentences)."""
    return FIXES.get(name, "Choose the extractive generator.")


class Generator(Protocol):
    name: str

    def draft(self, question: str, passages: list[ScoredPassage], hint: str = "") -> Iterator[str]: ...


def get_generator(settings: Settings, name: str | None = None, **kwargs) -> Generator:
    name = name or settings.generator
    if name == "extractive":
        from qa.generators.extractive import ExtractiveGenerator

        return ExtractiveGenerator(**kwargs)
    if name == "local":
        from qa.generators.local import LocalGenerator

        return LocalGenerator.shared(settings)
    if name == "openai":
        from qa.generators.openai import OpenAIGenerator

        return OpenAIGenerator(settings)
    raise GeneratorError(f"unknown generator {name!r}: use extractive, local or openai")
