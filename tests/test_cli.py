"""The ``qa`` command in a real subprocess, against a real index built by ``qa ingest``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import SEED_CORPUS

from index.query_encoder import is_current, query_encoder_path

pytestmark = pytest.mark.slow


def run(args, env, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    corpus = base / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update({"QA_CORPUS_DIR": str(corpus), "QA_INDEX_DIR": str(base / "index"), "QA_DATA_DIR": str(base)})
    return env


def test_ingest_then_ask_then_json(cli_env):
    first = run(["ingest"], cli_env)
    assert "5 added" in first.stdout
    # The first ingestion also writes the ONNX query encoder that lets `qa ask` start without torch.
    assert "query encoder: wrote" in first.stdout
    assert is_current(query_encoder_path(cli_env["QA_DATA_DIR"]))
    second = run(["ingest"], cli_env)
    assert "5 unchanged" in second.stdout and "0 passages embedded" in second.stdout
    assert "query encoder" not in second.stdout

    readable = run(["ask", "Who chairs the American Soybean Association?"], cli_env).stdout
    assert "Josh Gackle" in readable and "Sources:" in readable and "[1]" in readable

    payload = json.loads(run(["ask", "--json", "How many American users does TikTok have?"], cli_env).stdout)
    assert set(payload) >= {"text", "citations", "abstained", "timings"}
    assert payload["citations"][0]["article_id"] == "000_2586af1d1969f1c3"
    assert "170 million" in payload["citations"][0]["quote"]


def test_ask_article_limits_the_question_to_those_articles(cli_env):
    run(["ingest"], cli_env)  # nothing to do after the test above; the index when run alone
    soybean, gackle = "Who chairs the American Soybean Association?", "003_688cffc4895f96d0"
    both = ["--article", "000_2586af1d1969f1c3", "--article", gackle]  # repeatable
    kept = json.loads(run(["ask", "--json", *both, soybean], cli_env).stdout)
    assert {c["article_id"] for c in kept["citations"]} == {gackle} and "Josh Gackle" in kept["text"]
    left_out = run(["ask", "--article", "000_2586af1d1969f1c3", "--article", "004_5d28d1c07f10a7a1", soybean], cli_env)
    assert "Josh Gackle" not in left_out.stdout and "The articles don't say." in left_out.stdout
    assert "The answer was limited to the chosen articles: “China and the United States" in left_out.stdout
    unknown = run(["ask", "--article", "003", soybean], cli_env, check=False)
    assert unknown.returncode == 2 and "unknown article id '003'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_errors_are_messages_not_tracebacks(cli_env):
    empty = run(["ask", "  "], cli_env, check=False)
    assert empty.returncode == 2 and "empty" in empty.stderr and "Traceback" not in empty.stderr
    bad = run(["ask", "hi"], {**cli_env, "QA_GENERATOR": "gpt9"}, check=False)
    assert bad.returncode == 2 and "QA_GENERATOR" in bad.stderr and "Traceback" not in bad.stderr
    missing = run(["ask", "hi"], {**cli_env, "QA_INDEX_DIR": cli_env["QA_DATA_DIR"] + "/nowhere"}, check=False)
    assert missing.returncode == 2 and "qa ingest" in missing.stderr
