"""Loading articles from the corpus folder: .txt, .md and .html/.htm (through trafilatura, index/webpage.py),
each reduced to plain article text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from index.dates import find_date, parse_date
from index.errors import UserError
from index.patterns import ARTICLE_SUFFIXES, MONTH_ABBREVIATION, WEB_PAGE_SUFFIXES
from index.pdf import PdfError, read_pdf, reflow
from index.types import Article
from index.webpage import WebPage, extract_web_page

SUFFIXES = ARTICLE_SUFFIXES
MAX_FILE_BYTES = 5_000_000
MAX_PDF_BYTES = 20_000_000  # a PDF carries fonts and images besides its text
_FURNITURE = re.compile(
    r"^(you may also like|related( articles| stories)?|read more|advertisement|share this( article)?|"
    r"recommended( for you)?|more from .{0,40}|sign up for .{0,60}|subscribe.{0,60})\s*:?\s*$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\s*By\s+([A-Z][\w.'\-]*(?:\s+(?:[A-Z][\w.'\-]*|and|de|van|von))*)\s*$")
_DATELINE = re.compile(r"^([A-Z][A-Z .'\-]{2,40}|[A-Z][a-z]+(?: [A-Z][a-z]+)?)\s*(—|–|:|\s-\s)\s*")
_DATE = re.compile(rf"\b(?:{MONTH_ABBREVIATION} \d{{1,2}},? \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})\b")


class ArticleError(UserError, ValueError):
    """A file that cannot be loaded as an article; the message says why."""


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


def article_id(path: Path, corpus_dir: Path) -> str:
    return path.relative_to(corpus_dir).with_suffix("").as_posix()


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Article files under ``corpus_dir`` (recursively), hidden files and folders excluded, sorted."""
    if not corpus_dir.is_dir():
        raise ArticleError(f"corpus folder {corpus_dir} does not exist or is not a folder")
    files = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower() in SUFFIXES:
            files.append(path)
    return files


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file's text as UTF-8; binary, empty, huge or non-UTF-8 files raise ArticleError."""
    return decode_article_bytes(read_bytes(path, max_bytes))


def read_bytes(path: Path, max_bytes: int, kind: str = "") -> bytes:
    """The file's bytes; an empty file or one over ``max_bytes`` raises ArticleError."""
    size = path.stat().st_size
    if size == 0:
        raise ArticleError("empty file")
    if size > max_bytes:
        raise ArticleError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit{kind}")
    return path.read_bytes()


def decode_article_bytes(data: bytes) -> str:
    """Bytes as article text: binary, non-UTF-8 or blank content raises ArticleError saying which."""
    if b"\x00" in data:
        raise ArticleError("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
    if not text.strip():
        raise ArticleError("file holds only white space")
    return text


def load_article(path: Path, corpus_dir: Path) -> Article:
    suffix = path.suffix.lower()
    meta = WebPage("")  # what the file says about the article besides its text
    page_starts: tuple[int, ...] = ()
    made = None  # the date a PDF says it was made: used when its text gives none
    if suffix == ".pdf":
        meta, page_starts, made = pdf_article(read_bytes(path, MAX_PDF_BYTES, " for PDFs"))
        text = meta.text
    else:
        raw = read_text(path)
        if suffix in WEB_PAGE_SUFFIXES:
            meta = extract_web_page(raw)
            raw = meta.text
        elif suffix in (".md", ".markdown"):
            meta, raw = split_front_matter(raw)
            raw = markdown_to_text(raw)
        text = clean_text(raw)
    if not text:
        raise ArticleError("no article text left after removing markup and page furniture")
    return Article(
        id=article_id(path, corpus_dir),
        title=meta.title or derive_title(text),
        text=text,
        source=str(path),
        published=find_dateline(text),
        byline=find_byline(text) or (f"By {meta.author}" if meta.author else ""),
        date=meta.date or find_date(text) or made,
        site=meta.site,
        url=meta.url,
        page_starts=page_starts,
    )


def pdf_article(data: bytes) -> tuple[WebPage, tuple[int, ...], str | None]:
    """A text PDF's article: its pages' text (reflowed into paragraphs) with a blank line between pages, its
    title and author; where each page starts in that text (citations name their page); the date it was made."""
    try:
        document = read_pdf(data)
    except PdfError as exc:
        raise ArticleError(str(exc)) from None
    text, starts = "", []
    for page in document.pages:
        page_text = clean_text(reflow(page))
        starts.append(len(text) + (2 if text and page_text else 0))
        if page_text:
            text += ("\n\n" if text else "") + page_text
    return WebPage(text, title=document.title, author=document.author), tuple(starts), document.created


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.DOTALL)


def split_front_matter(raw: str) -> tuple[WebPage, str]:
    """A Markdown file's YAML front matter (title, date, author, site) and the rest of the file. Front matter
    that is not a YAML mapping is left in the text, as it was written."""
    import yaml

    match = _FRONT_MATTER.match(raw.replace("\r\n", "\n"))
    if not match:
        return WebPage(""), raw
    try:
        fields = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return WebPage(""), raw
    if not isinstance(fields, dict):
        return WebPage(""), raw
    fields = {str(k).lower(): v for k, v in fields.items()}

    def field(*names: str) -> str:
        value = next((fields[n] for n in names if fields.get(n) not in (None, "")), "")
        return " ".join(str(value).split())

    meta = WebPage(
        "",
        title=field("title", "headline"),
        author=field("author", "byline"),
        date=parse_date(field("date", "published", "pubdate")),
        site=field("site", "source", "publisher"),
        url=field("url", "link"),
    )
    return meta, raw.replace("\r\n", "\n")[match.end() :]


def clean_text(raw: str) -> str:
    """Normalise line endings, drop control characters and trailing page furniture."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and (not lines[-1].strip() or _FURNITURE.match(lines[-1].strip())):
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip()


TITLE_WORDS = 12  # a derived title's length, in words ...
TITLE_CLAUSE_WORDS = 13  # ... or up to here when a clause ends there
_CLAUSE_START = {"that", "which", "who", "after", "as", "while", "amid", "following", "when", "addressing", "because"}
_TRAILING = {"a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "to", "for", "with", "by", "from", "this",
             "that", "these", "those", "its", "their", "his", "her", "is", "are", "was", "were", "has", "have", "had",
             "will", "would", "be", "as", "such"}  # fmt: skip


def derive_title(text: str) -> str:
    """The first line when it reads as a headline; else a short title made from the first sentence (see
    ``short_title``)."""
    from index.sentences import sentence_spans

    first = _first_line(text)
    rest = text[len(first) :].strip()
    sentences = sentence_spans(first)
    shouting = first.upper() == first and any(ch.isalpha() for ch in first)  # wire headlines: "U.K. MONEY ..."
    reads_as_headline = rest and len(first) <= 160 and (len(sentences) <= 1 or shouting) and not first.endswith(":")
    if reads_as_headline:
        return first.rstrip(".")
    s, e = sentences[0] if sentences else (0, len(first))
    sentence = first[s:e]
    dateline = _DATELINE.match(sentence)
    if dateline and len(sentence) > 80:  # "Beijing: China's top trade negotiator ..." -> drop the place
        sentence = sentence[dateline.end() :]
        sentence = sentence[0].upper() + sentence[1:]
    return short_title(sentence)


def short_title(sentence: str) -> str:
    """At most about ``TITLE_WORDS`` words of ``sentence``, cut at a word boundary, never with "…": the whole
    sentence when short, else its opening up to the last clause end ("," or before "that", "after", ...)
    within ``TITLE_CLAUSE_WORDS`` words, else its first ``TITLE_WORDS`` words without dangling small words."""
    words = sentence.split()
    if len(words) <= TITLE_CLAUSE_WORDS:
        return " ".join(words).rstrip(".!?;:,—–- ")
    cuts = [
        i
        for i in range(6, TITLE_CLAUSE_WORDS + 1)
        if words[i - 1][-1] in ",;:" or words[i].lower() in _CLAUSE_START or words[i] in ("—", "–")
    ]
    kept = words[: cuts[-1]] if cuts else words[:TITLE_WORDS]
    while len(kept) > 1 and (kept[-1].lower().strip(",;:") in _TRAILING or kept[-1] in ("—", "–", "-")):
        kept.pop()
    return " ".join(kept).rstrip(".!?;:,—–- ")


def find_byline(text: str) -> str:
    for line in text.split("\n"):
        match = _BYLINE.match(line)
        if match and len(line) < 80:
            return line.strip()
    return ""


def find_dateline(text: str) -> str:
    """A leading place dateline ("WASHINGTON —", "Beijing:") and any explicit date in the first lines."""
    for line in text.split("\n")[:6]:
        line = line.strip()
        match = _DATELINE.match(line)
        if match and len(line) > 80:
            place = match.group(1).strip()
            date = _DATE.search(line[:200])
            return f"{place}, {date.group()}" if date else place
    date = _DATE.search(text[:500])
    return date.group() if date else ""


def markdown_to_text(raw: str) -> str:
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", raw, flags=re.MULTILINE)  # headings
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"^\s{0,3}(>|[-*+]\s)\s*", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*([-*_]\s*){3,}$", "", text, flags=re.MULTILINE)  # rules
    return text
