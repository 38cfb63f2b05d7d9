"""A hosted model that fails in every way a real, tiny, misbehaving HTTP server can (down, slow, stalled, garbage,
a broken event stream, nonsense), and the secret it is called with: the answer falls back to the cited extractive
one with a notice, and the key is never logged, shown or returned."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import uuid

import pytest
from hosted_endpoint import KEY_ENV, HostedEndpoint, closed_port_url, hosted_engine, hosted_settings
from llm_server import served_fixture
from robust_corpus import cli_env
from test_robustness import TIKTOK, TIKTOK_ID, assert_cites

from qa.generators import GeneratorError
from qa.generators.openai import OpenAIGenerator
from qa.settings import SettingsError
from ui.app import App, friendly_error

endpoint = served_fixture(HostedEndpoint)


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.parametrize(
    ("mode", "timeout", "notice"),
    [
        ("down", 0.5, "cannot connect"),
        ("slow", 0.5, "timed out after 0.5 s waiting for the reply"),
        ("stall", 0.5, "timed out after 0.5 s"),
        # the bad replies come at once; a longer timeout keeps a busy machine from turning them into timeouts
        ("garbage", 10.0, "malformed reply: expected an event stream or JSON, got text/html"),
        ("badsse", 10.0, "malformed event stream"),
        ("nonsense", 10.0, "No sentence of the openai generator's answer was supported"),
    ],
)
def test_a_failing_hosted_model_falls_back_to_the_cited_extractive_answer(
    seed_settings, endpoint, monkeypatch, mode, timeout, notice, seed_components
):
    monkeypatch.delenv(KEY_ENV, raising=False)
    base_url = closed_port_url() if mode == "down" else f"{endpoint}/{mode}/v1"
    settings = hosted_settings(seed_settings, base_url, timeout)
    started = time.perf_counter()
    a = hosted_engine(settings, seed_components).answer(TIKTOK)
    elapsed = time.perf_counter() - started
    assert a.generator == "openai"
    assert notice in a.notice
    if mode != "nonsense":
        assert "showing the extractive answer instead" in a.notice
    assert "170 million" in a.text
    assert_cites(a, settings)
    assert a.citations[0].article_id == TIKTOK_ID
    if timeout == 0.5:
        assert a.timings["generate"] < 10 and elapsed < 60  # the timeout bounds the wait, nothing hangs


@pytest.mark.parametrize("timeout", [float("nan"), -1.0, float("inf")])
def test_an_unusable_timeout_is_refused_when_the_settings_are_built(seed_settings, timeout):
    with pytest.raises(SettingsError, match="QA_OPENAI_TIMEOUT"):
        hosted_settings(seed_settings, "http://127.0.0.1:9/v1", timeout)


# --- secrets ------------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.server
def test_the_api_key_is_never_logged_shown_or_returned(
    seed_settings, endpoint, monkeypatch, caplog, capfd, seed_components
):
    key = f"sk-newsdesk-{uuid.uuid4().hex}"
    monkeypatch.setenv(KEY_ENV, key)
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    seen: list[str] = []
    for base_url in (closed_port_url(), f"{endpoint}/echo500/v1", f"{endpoint}/echostream/v1"):
        settings = hosted_settings(seed_settings, base_url, timeout=10.0)
        assert settings.api_key() == key  # read from the variable named by openai_api_key_env
        assert key not in repr(settings)

        a = hosted_engine(settings, seed_components).answer(TIKTOK)
        assert a.notice and not a.abstained  # it failed and fell back
        seen.append(json.dumps(a.to_dict()))
        if "echo500" in base_url:
            assert "invalid credentials: Bearer ***" in a.notice  # the server did echo the key; it was masked
        if "echostream" in base_url:  # the echoed key was masked in the draft, and the draft was refused
            assert "Bearer ***" in " ".join(d.text for d in a.dropped), a.dropped

        if "echo" in base_url:  # what the UI shows: the streamed chat updates and the API's JSON
            app = App(settings)
            seen.append(repr(list(app.chat(TIKTOK, [], "openai", 4, True))))
            seen.append(json.dumps(app.api_ask(TIKTOK, "[]", "openai", 0)))
        try:
            seen.append("".join(OpenAIGenerator(settings).draft(TIKTOK, [])))
        except GeneratorError as exc:
            seen += [str(exc), repr(exc), friendly_error(exc)]

    cli = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", "--json", "--generator", "openai", TIKTOK],
        env={
            **cli_env(seed_settings),
            "QA_OPENAI_BASE_URL": f"{endpoint}/echo500/v1",
            "QA_OPENAI_MODEL": "x",
            "QA_OPENAI_API_KEY_ENV": KEY_ENV,
            KEY_ENV: key,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr
    assert "Bearer ***" in json.loads(cli.stdout)["notice"]
    seen += [cli.stdout, cli.stderr]

    out, err = capfd.readouterr()
    seen += [out, err, caplog.text]
    seen += [repr(vars(record)) for record in caplog.records]
    assert caplog.records  # logging was captured at all (httpx logs every request)
    for i, text in enumerate(seen):
        assert key not in text, f"the key leaked in output #{i}: {text[:300]!r}"
        assert key[len("sk-newsdesk-") :] not in text
