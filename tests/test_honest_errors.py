"""Honest errors: the chat names the problem and a fix that works, without folders or library internals
(those go to the log and to the operator's CLI); a read-only index says plainly why it cannot answer."""

from __future__ import annotations

import logging
import os

import pytest

from qa.cli import main as cli_main
from qa.settings import Settings
from ui.app import App

TIKTOK = "How many American users does TikTok have?"


def _chat_error(app: App) -> str:
    *_, last = app.chat(TIKTOK, [], "extractive", 4, False)
    return last[0][-1]["content"]


def test_a_missing_index_says_what_to_do_without_its_folder(tmp_path, caplog):
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "no-index", data_dir=tmp_path / "d")
    with caplog.at_level(logging.WARNING, logger="ui.app"):
        message = _chat_error(App(settings))
    assert "no article index yet" in message and "Corpus tab" in message
    assert str(tmp_path) not in message and str(tmp_path) in caplog.text  # the folder goes to the log


@pytest.mark.slow
def test_a_read_only_index_says_plainly_why_it_cannot_answer(seed_settings, monkeypatch, capsys, caplog):
    chroma = str(seed_settings.index_dir / "chroma")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == chroma else real_access(path, mode))
    fresh = seed_settings.with_(top_k=3)  # another Settings: a new engine, which opens the store
    with caplog.at_level(logging.WARNING, logger="ui.app"):
        message = _chat_error(App(fresh))
    assert "read-only" in message and "writable" in message
    assert str(seed_settings.index_dir) not in message and "Error" not in message.replace("nq-error", "")
    monkeypatch.setenv("QA_INDEX_DIR", str(seed_settings.index_dir))
    monkeypatch.setenv("QA_DATA_DIR", str(seed_settings.data_dir))
    monkeypatch.setenv("QA_TOP_K", "2")
    assert cli_main(["ask", TIKTOK]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and chroma in err and err.count("\n") == 1  # the operator gets the folder
