"""Safe exposure: no open app beyond loopback without a password, Host names checked (DNS rebinding),
sign-in attempts throttled."""

from __future__ import annotations

import logging

import httpx
import pytest
from ui_server import running_app

from qa.cli import main as cli_main
from qa.settings import Settings, SettingsError
from ui.exposure import Exposure, check_exposure, host_name


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "newsdesk.example"])
def test_a_non_loopback_host_without_auth_is_refused_unless_insecure(host, caplog):
    with pytest.raises(SettingsError, match="QA_AUTH"):
        check_exposure(Settings(host=host))
    check_exposure(Settings(host=host, auth="ann:s3cret"))
    with caplog.at_level(logging.WARNING, logger="ui.exposure"):
        check_exposure(Settings(host=host), insecure=True)
    assert "without a password" in caplog.text


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_auth(host):
    check_exposure(Settings(host=host))


def test_qa_serve_on_all_interfaces_without_auth_is_one_line_and_exit_2(capsys, monkeypatch):
    monkeypatch.delenv("QA_AUTH", raising=False)
    assert cli_main(["serve", "--host", "0.0.0.0", "--port", "9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qa serve: QA_HOST=0.0.0.0") and "--insecure" in err and err.count("\n") == 1


def test_allowed_host_names():
    assert host_name("[::1]:7860") == "::1" and host_name("LocalHost:80") == "localhost" and host_name("x") == "x"
    names = Exposure.for_settings(Settings(host="0.0.0.0", allowed_hosts="News.example, 10.0.0.5")).allowed_hosts
    assert names == {"127.0.0.1", "localhost", "::1", "news.example", "10.0.0.5"}


@pytest.mark.slow
def test_the_running_app_checks_the_host_header_and_throttles_sign_in(seed_settings):
    with running_app(seed_settings, auth="ann:s3cret") as url:
        port = url.rstrip("/").rsplit(":", 1)[1]
        assert httpx.get(url + "config", headers={"Host": "attacker.example"}).status_code == 400
        assert httpx.get(url + "config", headers={"Host": f"rebind.attacker.example:{port}"}).status_code == 400
        assert httpx.get(url + "config", headers={"Host": f"localhost:{port}"}).status_code == 401  # reached gradio

        codes = [
            httpx.post(url + "login", data={"username": "ann", "password": f"guess{i}"}).status_code for i in range(40)
        ]
        assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}
        # Locked out for the window, even with the right password: guessing gains nothing.
        assert httpx.post(url + "login", data={"username": "ann", "password": "s3cret"}).status_code == 429


def _guarded():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def ok(request):
        return PlainTextResponse("ok", status_code=400 if request.url.path == "/login" else 200)

    from ui.exposure import Guard

    app = Starlette(
        routes=[Route("/", ok), Route("/login", ok, methods=["POST"])],
        middleware=[Middleware(Guard, exposure=Exposure.for_settings(Settings(allowed_hosts="news.example")))],
    )
    return TestClient(app, base_url="http://127.0.0.1:7860")


def test_the_guard_refuses_unknown_host_names_and_throttles_sign_in():
    client = _guarded()
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"Host": "news.example:7860"}).status_code == 200
    assert client.get("/", headers={"Host": "attacker.example:7860"}).status_code == 400
    assert client.get("/", headers={"Host": ""}).status_code == 400
    codes = [client.post("/login", data={"password": str(i)}).status_code for i in range(40)]
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}
