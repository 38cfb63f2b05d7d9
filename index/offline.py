"""The environment that keeps every library offline and quiet, set in one place.

Nothing here may reach a model hub or a telemetry host: Hugging Face and transformers read only local files,
Gradio and Chroma send no analytics, and onnxruntime's bundled telemetry stays off (without it, creating a session
looks up mobile.events.data.microsoft.com; ``ort.disable_telemetry_events()`` does not stop it). Entry points call
``keep_offline()`` before importing those libraries; subprocesses get ``child_env()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

OFFLINE_ENV: Mapping[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "ORT_DISABLE_TELEMETRY": "1",
}


def keep_offline(env: MutableMapping[str, str] | None = None) -> None:
    """Set each offline variable that is not set already (a user's explicit value wins)."""
    env = os.environ if env is None else env
    for name, value in OFFLINE_ENV.items():
        env.setdefault(name, value)


def child_env(base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment for a subprocess: ``base`` (default: ours) without ``QA_*`` settings, the offline
    variables forced, then ``extra``."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if not k.startswith("QA_")}
    env.update(OFFLINE_ENV)
    env.update(extra)
    return env
