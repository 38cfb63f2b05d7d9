"""The real app for tests: started in this process on a free port, waited for, and stopped.

``running_app(settings)`` launches ``ui.app.serve`` without blocking (gradio's server runs in its own
thread, so the models already loaded by the session fixtures are reused), yields the base URL once
``GET /`` answers, and closes the server on exit. ``seeded_copy`` makes a private, ingested copy of the
seed corpus for tests that add or delete articles.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from llm_server import wait_for_http

from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seeded_copy(base: Path, embedder) -> Settings:
    """Settings over a fresh copy of the seed corpus in ``base``, ingested into its own index."""
    from index.ingest import ingest

    corpus = base / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=base / "index", data_dir=base / "data")
    ingest(settings, embedder)
    return settings


@contextmanager
def running_app(settings: Settings, engine=None, **changes) -> Iterator[str]:
    """Serve the app for ``settings`` (on 127.0.0.1 and a free port) and yield its URL; ``engine``: the one the
    app answers with (by default it builds its own)."""
    from ui.app import serve

    settings = settings.with_(host="127.0.0.1", port=free_port(), **changes)
    url = f"http://127.0.0.1:{settings.port}/"
    demo = serve(settings, block=False, engine=engine)
    try:
        wait_for_http(url, lambda r: r.status_code < 500, STARTUP_TIMEOUT, "the app", interval=0.2)
        yield url
    finally:
        demo.close()
