"""Generators turn a question and numbered passages into a draft with ``[n]`` markers.

A generator is any object with ``name`` and ``draft(question, passages) -> Iterator[str]`` that yields
pieces of text as they are produced; ``[n]`` refers to ``passages[n-1]``. ``hint`` is the short answer our
reader found (and its passage), offered to a model as the thing to phrase. The draft is then verified
(see ``qa.verify``) before anything reaches the user. ``qa.generators.registry`` lists them by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from qa.generators.registry import GeneratorError, Generators, generator_fix, generator_spec

if TYPE_CHECKING:
    from qa.types import ScoredPassage

__all__ = ["Generator", "GeneratorError", "Generators", "generator_fix", "generator_spec"]


class Generator(Protocol):
    name: str

    def draft(self, question: str, passages: list[ScoredPassage], hint: str = "") -> Iterator[str]: ...
