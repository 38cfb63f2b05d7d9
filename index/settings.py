"""The index's part of the settings (where the corpus, the index and the models' data live, threads, languages,
fetching) and the reading of ``QA_*`` variables that every settings object shares.

``qa.settings.Settings`` composes this part with the answer's; ``index/`` modules take an ``IndexSettings`` so they
depend on nothing above them.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Self

from index.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(UserError, ValueError):
    """A ``QA_*`` variable has a value we cannot use."""


class EnvSettings:
    """Reading a frozen settings dataclass from ``QA_<FIELD>`` variables, and changing it, validated each time."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> Self:
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
        raise NotImplementedError

    def with_(self, **changes) -> Self:
        new = replace(self, **changes)
        new.validate()
        return new


@dataclass(frozen=True)
class IndexSettings(EnvSettings):
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    chroma_url: str = ""  # empty: embedded Chroma in index_dir
    collection: str = "newsdesk"
    data_dir: Path = PROJECT_ROOT / "data"
    threads: int = 2
    fetch_allow: str = ""  # internal networks `qa add` may fetch from (comma-separated: 127.0.0.1, 10.0.0.0/8)
    fetch_timeout: float = 20.0  # seconds per page or feed
    fetch_max_bytes: int = 5_000_000
    fetch_delay: float = 1.0  # seconds between two requests
    multilingual: int = 1  # 1: detect languages, embed non-English passages with multilingual e5 too; 0: off
    translate: int = 1  # 1 (with multilingual): Apertium puts what it can translate in English; 0: e5 only

    def validate(self) -> None:
        self.validate_index()

    def validate_index(self) -> None:
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise SettingsError(f"QA_CHROMA_URL must start with http:// or https://, not {self.chroma_url!r}")
        if not 1 <= self.threads <= 256:
            raise SettingsError(f"QA_THREADS must be between 1 and 256, not {self.threads}")
        if self.multilingual not in (0, 1):
            raise SettingsError(f"QA_MULTILINGUAL must be 0 or 1, not {self.multilingual}")
        if self.translate not in (0, 1):
            raise SettingsError(f"QA_TRANSLATE must be 0 or 1, not {self.translate}")
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

    def fetch_networks(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.fetch_allow.split(",") if n.strip())


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
