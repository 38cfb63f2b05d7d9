"""PDF articles: the text of each page (pypdf), one article per file, with where each page starts in the
article text so a citation can name its page. A PDF without a text layer (a scan) has nothing to index."""

from __future__ import annotations

import io
from dataclasses import dataclass

from index.errors import UserError


class PdfError(UserError, ValueError):
    """A PDF that cannot be read as an article; the message says why."""


@dataclass(frozen=True)
class PdfDocument:
    pages: list[str]  # each page's text as extracted, page 1 first
    title: str = ""
    author: str = ""
    created: str | None = None  # ISO date the file says it was made


def read_pdf(data: bytes) -> PdfDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfError("encrypted PDF (it needs a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        title = " ".join(((meta.title if meta else None) or "").split())
        author = " ".join(((meta.author if meta else None) or "").split())
        created = meta.creation_date.date().isoformat() if meta and meta.creation_date else None
    except PdfError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise PdfError(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    if not any(page.strip() for page in pages):
        raise PdfError(f"scanned PDF without a text layer ({len(pages)} page(s)): run OCR on it first")
    return PdfDocument(pages, title, author, created)


def page_of(page_starts: tuple[int, ...], offset: int) -> int | None:
    """The 1-based page the character at ``offset`` is on, given where each page starts; None without pages."""
    from bisect import bisect_right

    if not page_starts:
        return None
    return max(1, bisect_right(page_starts, offset))


def reflow(page: str) -> str:
    """A page's lines joined into paragraphs: PDF text breaks every printed line, and a line break ends a
    sentence for us. A paragraph ends at a blank line, at a line that ends a sentence well short of the
    page's full line width (the last line of a paragraph), and after a short line of its own without a
    full stop (a heading)."""
    lines = [" ".join(line.split()) for line in page.replace("\r", "\n").split("\n")]
    width = max((len(line) for line in lines), default=0)
    paragraphs, current = [], []
    for line in lines:
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        heading = not current and line[-1] not in ".,;:-–—" and len(line) < 0.6 * width
        current.append(line)
        if heading or (line[-1] in '.!?:"”’' and len(line) < 0.8 * width):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)
