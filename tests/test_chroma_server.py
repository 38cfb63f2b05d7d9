"""Chroma server mode end to end: a real ``chroma run`` on 127.0.0.1, ingest the seed corpus into it,
answer from it. Nothing leaves the machine; the server is stopped at the end whatever happens."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import SEED_CORPUS

from qa.bench.measure import free_port, stop_process

pytestmark = [pytest.mark.server, pytest.mark.slow]

HEARTBEAT_TIMEOUT = 60.0


def _chroma_binary() -> str:
    candidate = Path(sys.executable).parent / "chroma"
    found = str(candidate) if candidate.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the chroma CLI (shipped with the chromadb package) is not installed: run `make setup`")
    return found


def _wait_for_heartbeat(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + HEARTBEAT_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma run exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail(f"no heartbeat from {url} within {HEARTBEAT_TIMEOUT:.0f} s:\n{log.read_text()[-2000:]}")


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "chroma.log"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [_chroma_binary(), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )  # fmt: skip
    try:
        _wait_for_heartbeat(process, url, log)
        yield url
    finally:
        stop_process(process)


def test_ingest_into_and_answer_from_a_chroma_server(chroma_server, tmp_path, embedder):
    from index.ingest import ingest
    from qa.pipeline import Engine
    from qa.settings import Settings

    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    settings = Settings(
        corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data", chroma_url=chroma_server
    )
    report = ingest(settings, embedder)
    assert len(report.added) == 5 and not report.skipped and report.passages_embedded > 0
    assert not (tmp_path / "index" / "chroma").exists()  # the passages went to the server, not to disk here

    again = ingest(settings, embedder)  # unchanged: hash check only
    assert again.unchanged == 5 and again.passages_embedded == 0

    answer = Engine(settings).answer("How many American users does TikTok have?")
    assert not answer.abstained
    assert "000_2586af1d1969f1c3" in [c.article_id for c in answer.citations]
    assert "170 million" in answer.text
