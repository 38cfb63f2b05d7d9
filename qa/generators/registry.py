"""The one list of generators: name, label for the app, how to build one, whether it needs a server.

Settings validate ``QA_GENERATOR`` against ``NAMES``, the CLI offers ``NAMES`` as ``--generator`` choices and
the app labels its menu from ``GENERATORS``. ``Generators`` builds each model-backed generator once for an
engine's components (a local model loads once per process that holds them, not once per question).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.errors import UserError

if TYPE_CHECKING:
    from qa.generators import Generator
    from qa.settings import Settings


class GeneratorError(UserError):
    """A generator could not produce a draft (model missing, endpoint down, timeout, garbage)."""


def _local(settings: Settings) -> Generator:
    from qa.generators.local import LocalGenerator

    return LocalGenerator(settings.model_path or None, threads=settings.threads)


def _openai(settings: Settings) -> Generator:
    from qa.generators.openai import OpenAIGenerator

    return OpenAIGenerator(settings)


@dataclass(frozen=True)
class GeneratorSpec:
    """One generator: ``build`` is None for the extractive one, whose answer is the evidence itself (no model)."""

    name: str
    label: str  # shown in the app's menu
    build: Callable[[Settings], Generator] | None
    needs_server: bool  # offered in the app only when its endpoint is configured
    fix: str  # what to do when it fails


GENERATORS = (
    GeneratorSpec("extractive", "Extractive: quotes the articles", None, False, "Choose the extractive generator."),
    GeneratorSpec(
        "local",
        "Local model (llama.cpp)",
        _local,
        False,
        "To fix it, the operator can point QA_MODEL_PATH at a working .gguf model file (or leave it empty for "
        "the bundled one); meanwhile choose the extractive generator.",
    ),
    GeneratorSpec(
        "openai",
        "Hosted model (OpenAI-compatible)",
        _openai,
        True,
        "To fix it, the operator can check that the server at QA_OPENAI_BASE_URL is running and that "
        "QA_OPENAI_MODEL and the key in the variable named by QA_OPENAI_API_KEY_ENV are right; meanwhile choose "
        "the extractive generator.",
    ),
)
NAMES = tuple(spec.name for spec in GENERATORS)
EXTRACTIVE = "extractive"


def generator_spec(name: str) -> GeneratorSpec:
    for spec in GENERATORS:
        if spec.name == name:
            return spec
    raise GeneratorError(f"unknown generator {name!r}: use {', '.join(NAMES[:-1])} or {NAMES[-1]}")


def generator_fix(name: str) -> str:
    """What to do when the generator ``name`` fails (one or two sentences)."""
    try:
        return generator_spec(name).fix
    except GeneratorError:
        return GENERATORS[0].fix


def offered(openai_base_url: str) -> list[GeneratorSpec]:
    """The generators a user may choose: one that needs a server only when its endpoint is configured."""
    return [spec for spec in GENERATORS if not spec.needs_server or openai_base_url]


class Generators:
    """The model-backed generators for one settings object, each built on first use and then kept."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._built: dict[str, Generator] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Generator | None:
        """The generator ``name`` (None for the extractive answer, which no model writes)."""
        spec = generator_spec(name)
        if spec.build is None:
            return None
        with self._lock:
            if name not in self._built:
                self._built[name] = spec.build(self.settings)
            return self._built[name]
