"""``qa add FEED_OR_URL...``: RSS/Atom feeds (a local file or an http(s) URL, read by feedparser) and article
URLs become corpus files. Each page is fetched by ``index.fetch.Fetcher``, its article extracted by
trafilatura (``index.webpage``), and saved as ``web/<host>-<path>-<hash>.md``: YAML front matter (title, date,
author, site, url) and the article text. A page whose file would not change is not written again, so adding
the same feed twice changes nothing; ingestion (by content hash) does the rest."""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from index.fetch import FEED_TYPES, HTML_TYPES, Fetcher, FetchError
from index.webpage import extract_web_page

FOLDER = "web"  # inside the corpus folder
MAX_ENTRIES = 200  # entries taken from one feed


@dataclass(frozen=True)
class Saved:
    url: str
    path: Path
    title: str
    written: bool  # False: the file already held exactly this


@dataclass(frozen=True)
class AddReport:
    saved: list[Saved] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source, why)

    @property
    def written(self) -> list[Saved]:
        return [s for s in self.saved if s.written]


@dataclass(frozen=True)
class _Entry:
    """What a feed says about one of its articles."""

    link: str
    title: str = ""
    date: str | None = None
    author: str = ""


@dataclass(frozen=True)
class _PageEntry(_Entry):
    """A link given as a page (not a feed), already fetched."""

    body: bytes = b""


def add_sources(
    sources: list[str], corpus_dir: Path, fetcher: Fetcher, progress: Callable[[int, int, str], None] | None = None
) -> AddReport:
    """Fetch and save every feed entry and page named by ``sources``; failures are reported, never raised.
    ``progress(done, total, "pages")``: called once the feeds are read (their entries are the total) and after
    each page, for the corpus tab's bar (a feed's pages come one ``QA_FETCH_DELAY`` apart)."""
    saved: list[Saved] = []
    failed: list[tuple[str, str]] = []
    entries: list[_Entry] = []
    for source in sources:
        try:
            entries += _entries(source, fetcher)
        except FetchError as exc:
            failed.append((source, str(exc)))
    for done, entry in enumerate(entries):
        if progress is not None:
            progress(done, len(entries), "pages")
        try:
            saved.append(_save_page(entry, fetcher, Path(corpus_dir)))
        except FetchError as exc:
            failed.append((entry.link, str(exc)))
    if progress is not None and entries:
        progress(len(entries), len(entries), "pages")
    return AddReport(saved, failed)


def _entries(source: str, fetcher: Fetcher) -> list[_Entry]:
    """A feed's entries, or the page itself as one entry."""
    scheme = urlsplit(source).scheme.lower()
    if not scheme and Path(source).is_file():  # a feed saved on this machine: no address to resolve links against
        return _feed_entries(source, Path(source).read_bytes(), base="")
    if not scheme:
        raise FetchError(f"{source}: neither an http(s) link nor a feed file on this machine")
    fetched = fetcher.fetch(source, HTML_TYPES + FEED_TYPES)
    if fetched.content_type in FEED_TYPES or _looks_like_feed(fetched.body):
        return _feed_entries(source, fetched.body, base=fetched.final_url)
    return [_PageEntry(fetched.final_url, body=fetched.body)]


def _looks_like_feed(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head)


def _feed_entries(source: str, body: bytes, base: str) -> list[_Entry]:
    """The feed's entries; a relative link ("/news/a.html") is resolved against the feed's ``base`` (its own
    address, or the xml:base it declares), as a browser would."""
    import feedparser

    feed = feedparser.parse(body, response_headers={"content-location": base} if base else None)
    if not feed.entries:
        problem = f" ({feed.bozo_exception})" if feed.get("bozo") else ""
        raise FetchError(f"{source}: not an RSS or Atom feed with entries{problem}")
    entries = []
    for item in feed.entries[:MAX_ENTRIES]:
        link = item.get("link", "")
        if not link:
            continue
        if base and not urlsplit(link).scheme:
            link = urljoin(base, link)
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        date = datetime.fromtimestamp(calendar.timegm(stamp), UTC).date().isoformat() if stamp else None
        entries.append(_Entry(link, " ".join(item.get("title", "").split()), date, item.get("author", "")))
    return entries


def _save_page(entry: _Entry, fetcher: Fetcher, corpus_dir: Path) -> Saved:
    import yaml

    if isinstance(entry, _PageEntry):
        body, url = entry.body, entry.link
    elif not urlsplit(entry.link).scheme:
        raise FetchError(
            f"{entry.link}: a relative link in a feed file, with no address to resolve it against; add the feed "
            "by its http(s) address instead"
        )
    else:
        fetched = fetcher.fetch(entry.link, HTML_TYPES)
        body, url = fetched.body, fetched.final_url
    page = extract_web_page(body, url)
    if not page.text.strip():
        raise FetchError(f"{entry.link}: no article text found on the page")
    meta = {
        "title": entry.title or page.title,
        "date": entry.date or page.date or "",
        "author": entry.author or page.author,
        "site": page.site,
        "url": url,
    }
    front = yaml.safe_dump({k: v for k, v in meta.items() if v}, allow_unicode=True, sort_keys=False, width=1000)
    content = f"---\n{front}---\n\n{page.text}\n".encode()
    path = corpus_dir / FOLDER / file_name(url)
    written = not (path.is_file() and path.read_bytes() == content)
    if written:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
    return Saved(url, path, meta["title"], written)


def file_name(url: str) -> str:
    """``<host>-<path words>-<8 hex of the URL>.md``: readable, stable, safe, unique per URL."""
    parts = urlsplit(url)
    words = re.sub(r"[^A-Za-z0-9]+", "-", f"{parts.hostname or ''}-{parts.path}").strip("-").lower()
    return f"{words[:80].rstrip('-')}-{hashlib.sha256(url.encode()).hexdigest()[:8]}.md"
