"""PDF articles (pypdf): a text PDF written here loads with its pages, a citation names the page its quote is
on, and a scanned PDF (no text layer) is skipped with that reason."""

from __future__ import annotations

import io

import pytest

from index.ingest import ingest
from index.load import load_article
from index.pdf import page_of, reflow

PAGES = [
    [
        "Gull Island council report",
        "The Gull Island council met on Tuesday to discuss the harbour budget for the",
        "coming year and the state of the ferry pier.",
    ],
    [
        "The harbour master told the council that the ferry pier needs new timber piles",
        "before the winter storms arrive.",
    ],
    [
        "The council approved 3.2 million euros for the new ferry pier, to be built by",
        "the Marrow and Sons company over eighteen months.",
    ],
]


def text_pdf(pages: list[list[str]], title: str = "") -> bytes:
    """A small PDF with real text (Helvetica, one line per ``Tj``), as a newspaper's export would have."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        ops = ["BT /F1 11 Tf 14 TL 50 780 Td"] + [
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*" for line in lines
        ]
        stream = "\n".join([*ops, "ET"])
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    objects.append(f"<< /Title ({title}) /CreationDate (D:20251014090000Z) >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    )
    out.write(trailer.encode())
    return out.getvalue()


def scanned_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_reflow_joins_printed_lines_into_paragraphs():
    page = "The council met on Tuesday to discuss the harbour budget for the\ncoming year.\n\nA second one."
    assert (
        reflow(page) == "The council met on Tuesday to discuss the harbour budget for the coming year.\nA second one."
    )


def test_a_text_pdf_loads_with_its_pages(tmp_path):
    (tmp_path / "council.pdf").write_bytes(text_pdf(PAGES, title="Council approves new ferry pier"))
    article = load_article(tmp_path / "council.pdf", tmp_path)
    assert article.title == "Council approves new ferry pier" and article.date == "2025-10-14"
    assert len(article.page_starts) == 3
    for number, lines in enumerate(PAGES, start=1):
        start = article.page_starts[number - 1]
        assert article.text[start:].startswith(lines[0]), number
        assert page_of(article.page_starts, start + 5) == number
    assert "for the coming year and the state of the ferry pier." in article.text  # one sentence, not two lines
    assert article.text.startswith("Gull Island council report\nThe Gull Island council met")  # a heading alone


def test_a_scanned_pdf_is_skipped_with_its_reason(fresh_settings, tmp_path):
    from index.ingest import load_corpus

    (fresh_settings.corpus_dir / "scan.pdf").write_bytes(scanned_pdf())
    (fresh_settings.corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    articles, skipped = load_corpus(fresh_settings.corpus_dir)
    assert articles == []
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert "scanned PDF without a text layer (2 page(s))" in reasons["scan.pdf"]
    assert "not a readable PDF" in reasons["broken.pdf"]


@pytest.mark.slow
def test_a_citation_from_a_pdf_names_its_page(fresh_settings, embedder):
    from qa.cli import format_answer
    from qa.pipeline import Engine

    (fresh_settings.corpus_dir / "council.pdf").write_bytes(text_pdf(PAGES, title="Council approves new ferry pier"))
    (fresh_settings.corpus_dir / "scan.pdf").write_bytes(scanned_pdf())
    report = ingest(fresh_settings, embedder)
    assert report.added == ["council"] and [s.reason for s in report.skipped][0].startswith("scanned PDF")
    answer = Engine(fresh_settings).answer("How much did the council approve for the new ferry pier?")
    assert not answer.abstained, answer.text
    article = load_article(fresh_settings.corpus_dir / "council.pdf", fresh_settings.corpus_dir)
    cited = [c for c in answer.citations if "3.2 million euros" in c.quote]
    assert cited and all(c.page == 3 for c in cited)
    for c in answer.citations:
        assert article.text[c.start : c.end] == c.quote
        assert c.page == page_of(article.page_starts, c.start)
    assert "p. 3, chars" in format_answer(answer)
