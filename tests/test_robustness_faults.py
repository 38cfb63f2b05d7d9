"""Uploads the handler must refuse (tests/test_ui_api.py covers names and contents) and ingestion faults: a symlink
in the corpus folder, unusable and disguised files, an ingestion killed at a random point, an index folder that
cannot be written. Real files, a real embedded Chroma, real subprocesses."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SEED_CORPUS
from robust_corpus import cli_env, consistency_problems, make_corpus, start_cli
from test_robustness import SOY_ID, TIKTOK, TIKTOK_ID

from index.ingest import ingest
from index.store import PassageStore, StoreError
from qa.pipeline import Engine
from qa.settings import Settings
from ui import corpus
from ui.app import App

# --- uploads: what tests/test_ui_api.py does not cover ------------------------------------------------------

ARTICLE = b"Harbour opens\n\nPORT X - The harbour opened on Tuesday after nine years of work, officials said.\n"


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_upload_through_a_symlink_in_the_corpus_folder_is_refused(fresh_settings, tmp_path):
    root = Path(fresh_settings.corpus_dir)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    (root / "linked.txt").symlink_to(outside)
    with pytest.raises(corpus.UploadError):
        corpus.store_upload(fresh_settings, "linked.txt", ARTICLE)
    assert outside.read_bytes() == b"precious"
    assert _tree(root) == ["linked.txt"] and (root / "linked.txt").is_symlink()


def test_an_upload_that_is_not_usable_as_an_article_leaves_nothing_behind(fresh_settings):
    root = Path(fresh_settings.corpus_dir)
    page = b"<html><body><nav>Menu</nav><script>steal()</script></body></html>"  # looks like HTML, has no text
    with pytest.raises(corpus.UploadError, match="not usable as an article"):
        corpus.store_upload(fresh_settings, "empty_page.html", page)
    assert _tree(root) == []  # the hidden staging file is gone too


def test_the_upload_handler_refuses_oversized_and_disguised_files(fresh_settings, tmp_path):
    root = Path(fresh_settings.corpus_dir)
    uploads = tmp_path / "gradio-tmp"
    uploads.mkdir()
    files = {
        "big.txt": b"Big story.\n" * (corpus.MAX_UPLOAD_BYTES // 11 + 1),
        "photo.html": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
        "archive.md": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(64),
        "latin1.txt": "Caf\u00e9 r\u00e9opens\n\nThe caf\u00e9 reopened.".encode("latin-1"),
        "report.pdf": b"%PDF-1.7\nThe harbour opened on Tuesday.\n",
        "..%2F..%2Fescape.exe": ARTICLE,
    }
    paths = []
    for name, data in files.items():
        (uploads / name).write_bytes(data)
        paths.append(str(uploads / name))
    before = _tree(tmp_path)
    status, *_ = list(App(fresh_settings).upload(paths))[-1]
    for name, reason in [
        ("big.txt", "2 MB limit"),
        ("photo.html", "NUL"),
        ("archive.md", "NUL"),
        ("latin1.txt", "not UTF-8"),
        ("report.pdf", "not a readable PDF"),  # a PDF's signature, then text a PDF reader cannot parse
        ("escape.exe", "not accepted"),
    ]:
        line = next((line for line in status.splitlines() if name in line), "")
        assert "✗" in line and reason in line, (name, status)
    assert _tree(root) == []
    assert _tree(uploads) == []  # gradio's temporary copies are removed
    assert set(_tree(tmp_path)) == set(before) - {f"gradio-tmp/{n}" for n in files}


# --- faults: a killed ingestion, a read-only index folder ---------------------------------------------------


def _wait_for(path: Path, pattern: str, proc: subprocess.Popen, timeout: float) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, path.read_text(errors="replace"))
        if match:
            return match
        if proc.poll() is not None:
            raise AssertionError(f"ingestion ended early ({proc.returncode}): {path.read_text()[-2000:]}")
        time.sleep(0.05)
    raise AssertionError(f"no {pattern!r} within {timeout:.0f} s: {path.read_text()[-2000:]}")


@pytest.mark.slow
def test_an_ingestion_killed_at_a_random_point_leaves_a_queryable_index_and_is_repaired(
    seed_settings, embedder, tmp_path
):
    # An index of the seed corpus as it was; then 40 new articles and a changed one to ingest.
    make_corpus(tmp_path / "corpus", extra=40, paragraphs=16)
    soy = tmp_path / "corpus" / f"{SOY_ID}.txt"
    soy.write_text(soy.read_text() + "\nThe association will meet again in October, Gackle said.\n")
    shutil.copytree(seed_settings.index_dir, tmp_path / "index")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", data_dir=tmp_path / "data")

    seed = random.randrange(10**6)
    delay = random.Random(seed).uniform(1.0, 4.0)
    err = tmp_path / "ingest.err"
    with open(err, "wb") as stderr:
        proc = start_cli(settings, "ingest", stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            # Once the first batch of passages is in the store, wait a random 1-4 s more and kill it.
            _wait_for(err, r"\|\s*[1-9]\d*/\d+", proc, timeout=240)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print(f"killed {delay:.2f} s after the first stored batch (random seed {seed})")
    assert proc.returncode == -signal.SIGKILL, "the ingestion finished before it could be killed: make it longer"

    # Queryable: a new engine answers, and only from complete articles at their stored version.
    store = PassageStore(settings, embedder.name, embedder.dim, create=False)
    records = store.articles()
    assert records[TIKTOK_ID].complete
    engine = Engine(settings)
    a = engine.answer(TIKTOK)
    # The digests repeat seed sentences word for word: those stored whole before the kill may be cited with (or,
    # their passages being shorter, before) the TikTok article, never one the kill cut short.
    assert "170 million" in a.text and any("170 million" in c.quote for c in a.citations)
    assert a.citations and all(records[c.article_id].complete for c in a.citations)
    for question in ("What are farmers watching closely?", "Item 3 of digest 7"):
        answer = engine.answer(question)
        for c in answer.citations + answer.closest:
            assert records[c.article_id].complete, c.article_id
    problems, _ = consistency_problems(settings, embedder.name, embedder.dim)
    assert problems, "the kill left nothing to repair: the test did not interrupt anything"

    # The next ingestion makes the store match the corpus exactly.
    report = ingest(settings, embedder)
    assert report.changed and not report.skipped
    problems, count = consistency_problems(settings, embedder.name, embedder.dim)
    assert problems == []
    engine.refresh()
    assert "October" in " ".join(
        c.quote for c in engine.answer("When will the soybean association meet again?").citations
    )
    again = ingest(settings, embedder)
    assert not again.changed and again.passages_embedded == 0 and again.unchanged == 45
    assert PassageStore(settings, embedder.name, embedder.dim, create=False).count() == count


def _unwritable_index_dir(tmp_path: Path) -> tuple[Path, Path | None]:
    """An index folder that cannot be created or written: read-only when that works (not as root, who
    writes anyway), else one whose parent is a regular file. Returns (index dir, folder to chmod back)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() != 0 and not os.access(locked, os.W_OK):
        return locked / "index", locked
    locked.chmod(0o700)
    blocker = tmp_path / "file.txt"
    blocker.write_text("a regular file, not a folder")
    return blocker / "index", None


@pytest.mark.slow
def test_an_unwritable_index_folder_is_a_clear_store_error_from_ingest_and_the_cli(fresh_settings, embedder, tmp_path):
    shutil.copy(SEED_CORPUS / f"{TIKTOK_ID}.txt", fresh_settings.corpus_dir)
    index_dir, restore = _unwritable_index_dir(tmp_path)
    settings = fresh_settings.with_(index_dir=index_dir)
    try:
        with pytest.raises(StoreError, match="cannot write to the index folder|is read-only") as info:
            ingest(settings, embedder)
        assert str(index_dir) in str(info.value)
        cli = subprocess.run(
            [sys.executable, "-m", "qa.cli", "ingest"],
            env=cli_env(settings),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert cli.returncode == 2, cli.stderr
        assert re.search("qa ingest: (cannot write to the index folder|the index folder .* is read-only)", cli.stderr)
        assert str(index_dir) in cli.stderr
        assert "Traceback" not in cli.stderr and cli.stdout == ""
    finally:
        if restore is not None:
            restore.chmod(0o700)
