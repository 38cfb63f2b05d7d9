"""PDFs through the corpus tab (issue 15): a text PDF uploaded through the app's upload handler is stored as it came
(bytes, not decoded), ingested and answered with a page-numbered citation; a scanned PDF and a text file named
.pdf are listed as refused with their reasons and nothing of them is stored."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from test_pdf import PAGES, scanned_pdf, text_pdf

from ui import corpus
from ui.app import App

pytestmark = pytest.mark.slow
QUESTION = "How much did the council approve for the new ferry pier?"


def _upload(app: App, tmp_path: Path, **named: bytes) -> str:
    folder = tmp_path / "gradio-tmp"
    folder.mkdir(exist_ok=True)
    paths = []
    for name, data in named.items():
        (folder / name).write_bytes(data)
        paths.append(str(folder / name))
    *_, last = app.upload(paths)
    return html.unescape(last[0])  # the status escapes ( ) : as entities for Markdown


def test_a_text_pdf_upload_is_stored_as_bytes_and_cited_with_its_page(fresh_settings, tmp_path):
    app = App(fresh_settings)
    pdf = text_pdf(PAGES, title="Council approves new ferry pier")
    status = _upload(app, tmp_path, **{"council.pdf": pdf})
    assert "Added **council** (council.pdf): Council approves new ferry pier" in status and "Index updated" in status
    assert (Path(fresh_settings.corpus_dir) / "council.pdf").read_bytes() == pdf
    answer = app.api_ask(QUESTION)
    cited = [c for c in answer["citations"] if "3.2 million euros" in c["quote"]]
    assert not answer["abstained"] and cited and all(c["page"] == 3 for c in cited), answer


def test_a_scanned_or_fake_pdf_is_refused_inline_and_nothing_is_stored(fresh_settings, tmp_path):
    app = App(fresh_settings)
    fake = b"Council meets\n\nThe council met on Tuesday and talked about the ferry pier for an hour.\n"
    status = _upload(app, tmp_path, **{"scan.pdf": scanned_pdf(), "notes.pdf": fake, "empty.pdf": b""})
    assert "**scan.pdf** refused: not usable as an article: scanned PDF without a text layer (2 page(s))" in status
    assert "**notes.pdf** refused: the file is named .pdf but is not a PDF (it does not start with %PDF-)" in status
    assert "**empty.pdf** refused: the file is empty" in status
    assert list(Path(fresh_settings.corpus_dir).iterdir()) == []  # not even a staged copy


def test_a_pdf_may_be_larger_than_a_text_file_up_to_the_folders_pdf_limit(fresh_settings):
    from index.load import MAX_PDF_BYTES

    assert corpus.size_limit("a.pdf") == MAX_PDF_BYTES == corpus.MAX_BATCH_BYTES == 20_000_000
    assert corpus.size_limit("a.txt") == corpus.MAX_UPLOAD_BYTES == 2_000_000
    with pytest.raises(corpus.UploadError, match="limit is 20,000,000 bytes"):
        corpus.check_content("big.pdf", b"%PDF-1.4\n" + b"x" * MAX_PDF_BYTES)
    with pytest.raises(corpus.UploadError, match="limit is 2,000,000 bytes"):
        corpus.check_content("big.txt", b"x" * 2_000_001)
