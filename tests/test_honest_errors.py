"""Honest errors: the chat names the problem and a fix that works, without folders or library internals
(those go to the log and to the operator's CLI); a read-only index still answers (from a private copy) and
says plainly that articles cannot be added or deleted, leaving the corpus folder as it was."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from robust_corpus import cli_env
from ui_server import ROOT, seeded_copy

from index.store import StoreError
from qa.generators import GeneratorError
from qa.pipeline import Engine
from qa.redact import redact
from qa.settings import Settings
from ui import corpus
from ui.app import App, delete_phrase, friendly_error
from ui.corpus_changes import CorpusChanges

TIKTOK = "How many American users does TikTok have?"
TIKTOK_ID = "000_2586af1d1969f1c3"


def _chat_error(app: App) -> str:
    *_, last = app.chat(TIKTOK, [], "extractive", 4, False)
    return last[0][-1]["content"]


def test_a_missing_index_says_what_to_do_without_its_folder(tmp_path, caplog):
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "no-index", data_dir=tmp_path / "d")
    with caplog.at_level(logging.WARNING, logger="ui.app"):
        message = _chat_error(App(settings))
    assert "no article index yet" in message and "Corpus tab" in message
    assert str(tmp_path) not in message and str(tmp_path) in caplog.text  # the folder goes to the log


def _read_only_as_seen_by(monkeypatch, *folders: Path) -> None:
    """``os.access`` says these folders cannot be written (the tests run as root, for whom chmod changes nothing;
    ``test_a_really_read_only_index_answers_and_refuses_ingest`` uses a real one)."""
    real_access = os.access
    denied = {str(f) for f in folders}
    monkeypatch.setattr(
        os, "access", lambda path, mode, **kw: False if str(path) in denied else real_access(path, mode)
    )


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_a_read_only_index_answers_and_refuses_changes_plainly(tmp_path, embedder, monkeypatch, caplog):
    settings = seeded_copy(tmp_path, embedder)
    index = Path(settings.index_dir)
    _read_only_as_seen_by(monkeypatch, index, index / "chroma")
    before = _files(index / "chroma")
    app = App(settings)
    answer = app.api_ask(TIKTOK)  # from a private copy of the index (Chroma writes to its folder to answer)
    assert "170 million" in answer["text"] and answer["citations"]
    assert _files(index / "chroma") == before

    upload = tmp_path / "harbour.txt"
    upload.write_text("Harbour opens\n\nThe harbour opened on Tuesday after nine years of work, officials said.\n")
    corpus_before = sorted(p.name for p in Path(settings.corpus_dir).iterdir())
    with caplog.at_level(logging.WARNING, logger="ui.app"):
        big = tmp_path / "big.txt"
        big.write_bytes(b"x" * (corpus.MAX_UPLOAD_BYTES + 1))
        status = list(app.upload([str(upload), str(big)]))[-1][0]
        deleted = list(app.delete([TIKTOK_ID], delete_phrase([TIKTOK_ID])))[-1][0]
    for message in (status, deleted):
        assert message.startswith("⚠ Nothing was changed: the article index is read-only"), message
        assert str(tmp_path) not in message
    assert "big.txt**: 2,000,001 bytes is over the 2 MB limit" in status  # what was refused on the way in, too
    assert sorted(p.name for p in Path(settings.corpus_dir).iterdir()) == corpus_before  # nothing saved or lost
    assert str(index) in caplog.text  # the operator's version, with the folder, is in the log
    assert _files(index / "chroma") == before


def test_an_upload_whose_ingestion_fails_leaves_no_file_behind(fresh_settings, monkeypatch):
    def fail(self, progress=None):
        raise StoreError("the index broke", "the article index broke")

    monkeypatch.setattr(CorpusChanges, "reindex", fail)
    with pytest.raises(StoreError):
        CorpusChanges(fresh_settings).upload([("harbour.txt", b"Harbour opens\n\nThe harbour opened on Tuesday.\n")])
    assert list(Path(fresh_settings.corpus_dir).iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="needs setpriv to drop root")
def test_a_really_read_only_index_answers_and_refuses_ingest(tmp_path, embedder):
    """``qa ask`` and ``qa ingest`` in a process that cannot write the index folder (as nobody when we are root)."""
    base = Path(tempfile.mkdtemp(prefix="qa-ro-test-"))
    try:
        settings = seeded_copy(base, embedder)
        home = base / "home"
        home.mkdir()
        home.chmod(0o777)
        for path in [base, *base.rglob("*")]:
            if path != home:
                path.chmod(0o755 if path.is_dir() else 0o644)  # readable, and writable by root only
        before = _files(Path(settings.index_dir))
        env = {**cli_env(settings), "HOME": str(home), "HF_HOME": str(home / "hf"), "TMPDIR": str(home)}
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        if not drop:
            for path in [settings.index_dir, *Path(settings.index_dir).rglob("*")]:
                Path(path).chmod(0o555 if Path(path).is_dir() else 0o444)

        def qa(*args):
            return subprocess.run(
                [*drop, sys.executable, "-m", "qa.cli", *args],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=300,
            )

        unreadable = [str(d) for d in [ROOT, *ROOT.parents] if drop and not d.stat().st_mode & 0o001]
        assert not unreadable, f"the unprivileged user cannot reach the source tree through {unreadable}"
        asked = qa("ask", "--json", TIKTOK)
        assert asked.returncode == 0, asked.stderr
        assert "170 million" in json.loads(asked.stdout)["text"]
        ingested = qa("ingest")
        assert ingested.returncode == 2 and "Traceback" not in ingested.stderr
        assert len(ingested.stderr.strip().splitlines()) == 1 and "read-only" in ingested.stderr, ingested.stderr
        assert _files(Path(settings.index_dir)) == before  # not a byte written
        assert not list(home.glob("qa-read-only-index-*"))  # the private copy is gone with the process
    finally:
        for path in [base, *base.rglob("*")]:
            with contextlib.suppress(OSError):
                path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(base, ignore_errors=True)


# --- what reaches users -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown", "hidden"),
    [
        (
            "cannot open the index at /srv/qa/data/index/chroma: 'RustBindingsAPI' object has no attribute 'bindings'",
            "cannot open the index at chroma: an internal error",
            ["/srv", "RustBindingsAPI"],
        ),
        (
            "local model file /home/ann/models/smol.gguf does not exist",
            "local model file smol.gguf does not exist",
            ["/home"],
        ),
        (
            "llama.cpp could not load C:\\models\\m.gguf (<Model object at 0x7f3a2b1c9d00>)",
            "could not load m.gguf",
            ["C:", "0x7f"],
        ),
        ("endpoint http://127.0.0.1:9/v1: cannot connect", "endpoint http://127.0.0.1:9/v1: cannot connect", []),
    ],
)
def test_redact_keeps_the_message_and_drops_paths_and_internals(text, shown, hidden):
    assert shown in redact(text) and not any(h in redact(text) for h in hidden)


@pytest.mark.slow
def test_a_failing_local_model_says_what_failed_and_how_to_fix_it(seed_settings, caplog):
    missing = seed_settings.data_dir / "models" / "nowhere.gguf"
    engine = Engine(seed_settings.with_(generator="local", model_path=str(missing)))
    with caplog.at_level(logging.WARNING, logger="qa.pipeline"):
        a = engine.answer(TIKTOK)
    assert "170 million" in a.text  # the extractive answer stands in
    assert a.notice.startswith("The local generator failed (local model file nowhere.gguf does not exist")
    assert "To fix it, the operator can point QA_MODEL_PATH at a working .gguf model file" in a.notice
    assert str(seed_settings.data_dir) not in a.notice and str(missing) in caplog.text


def test_generator_errors_in_the_chat_carry_no_folder(tmp_path):
    message = friendly_error(GeneratorError(f"cannot read local model file {tmp_path}/m.gguf: Permission denied"))
    assert "m.gguf" in message and str(tmp_path) not in message and "Try the extractive generator" in message
