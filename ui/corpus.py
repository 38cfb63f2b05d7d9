"""Corpus management for the app: checked uploads with safe names, deletion, re-ingestion, listing.

Nothing here trusts a name or an id that came from the browser: uploads are renamed to a safe file
name inside ``settings.corpus_dir``, and deletion only ever removes a file found by walking that folder.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from index.errors import UserError
from index.load import MAX_PDF_BYTES, ArticleError, article_id, corpus_files, decode_article_bytes, load_article
from index.patterns import UPLOAD_SUFFIXES
from index.split import passage_limit_error, split_article
from index.types import Article
from qa.settings import Settings

MAX_UPLOAD_BYTES = 2_000_000  # a text, Markdown or HTML file; a PDF: MAX_PDF_BYTES (20 MB), as in the folder
MAX_UPLOAD_FILES = 20  # per upload batch
MAX_BATCH_BYTES = MAX_PDF_BYTES  # per upload batch, all files together: one PDF of the largest size fits
_UNSAFE = re.compile(r"[^\w.-]+")  # \w: letters and digits of every script (新闻.txt stays 新闻.txt), and _
_LOOKS_LIKE_HTML = re.compile(
    r"<\s*(!doctype\s+html|html|head|body|article|main|section|div|p|h[1-6]|title|meta)\b", re.IGNORECASE
)
_MAX_STEM = 80


class UploadError(UserError):
    """An uploaded file that is refused; the message says why and is shown to the user."""


@dataclass(frozen=True)
class Stored:
    name: str  # the safe file name it was stored under
    article_id: str
    title: str
    replaced: bool
    renamed_from: str = ""  # the safe name it would have had, when another file of the batch took that

    @property
    def renamed(self) -> bool:
        return bool(self.renamed_from) and self.renamed_from != self.name


@dataclass
class ChangeReport:
    stored: list[Stored] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (original name, reason)
    deleted: list[str] = field(default_factory=list)
    ingest_summary: str = ""


def base_name(name: str) -> str:
    """What a browser sent as a file's name without its folders (either kind of slash)."""
    return re.split(r"[/\\]", str(name))[-1]


def safe_filename(name: str) -> str:
    """A file name of letters and digits (of any script, NFC), ``.``, ``_`` and ``-`` only: directories
    stripped, no leading dot, an allowed suffix.

    ``../../etc/passwd.txt`` becomes ``passwd.txt``; ``C:\\x\\My Story!.HTML`` becomes ``My_Story.html``;
    ``新闻.txt`` stays ``新闻.txt``.
    Raises UploadError when the suffix is not one we ingest.
    """
    base = unicodedata.normalize("NFC", base_name(name).strip())
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in UPLOAD_SUFFIXES:
        allowed = ", ".join(s for s in UPLOAD_SUFFIXES)
        shown = suffix or "no extension"
        raise UploadError(f"{shown} files are not accepted; upload one of {allowed}")
    stem = _UNSAFE.sub("_", stem)
    stem = re.sub(r"\.{2,}", ".", stem)  # no ".." anywhere
    stem = re.sub(r"_{2,}", "_", stem)
    stem = stem.lstrip("._-").rstrip("._-")[:_MAX_STEM].rstrip("._-")
    return (stem or "article") + suffix


def size_limit(name: str) -> int:
    """The most bytes an uploaded file of this name may have: 20 MB for a PDF, 2 MB for the others."""
    return MAX_PDF_BYTES if Path(name).suffix.lower() == ".pdf" else MAX_UPLOAD_BYTES


def check_content(name: str, data: bytes) -> str:
    """The upload's text when it is an acceptable article file, else UploadError saying why. A PDF is checked
    here only for its size and signature; reading it is the loader's (``store_upload`` loads it as stored)."""
    if len(data) == 0:
        raise UploadError("the file is empty")
    limit = size_limit(name)
    if len(data) > limit:
        raise UploadError(f"the file is {len(data):,} bytes; the limit is {limit:,} bytes ({limit // 10**6} MB)")
    if Path(name).suffix.lower() == ".pdf":
        if not data.startswith(b"%PDF-"):
            raise UploadError("the file is named .pdf but is not a PDF (it does not start with %PDF-)")
        return ""
    try:
        text = decode_article_bytes(data)
    except ArticleError as exc:
        raise UploadError(f"the file is unusable: {exc}") from None
    if Path(name).suffix.lower() in (".html", ".htm") and not _LOOKS_LIKE_HTML.search(text[:20_000]):
        raise UploadError("the file is named .html but does not look like HTML (no <html>, <body> or <p> tags)")
    return text


def _inside(folder: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def files_for(settings: Settings, wanted_id: str) -> list[Path]:
    """The corpus files whose article id is ``wanted_id`` (found by walking the folder, never by joining)."""
    corpus = Path(settings.corpus_dir)
    if not corpus.is_dir():
        return []
    return [p for p in corpus_files(corpus) if article_id(p, corpus) == wanted_id and _inside(corpus, p)]


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``stem-2.txt``, ``stem-3.txt``, ... when another file of the batch took it (ignoring case)."""
    stem, suffix = name[: -len(Path(name).suffix) or None], Path(name).suffix
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem}-{number}{suffix}"
    return candidate


def store_upload(
    settings: Settings,
    original_name: str,
    data: bytes,
    replace: bool = False,
    taken: set[str] | None = None,
    known: dict[str, str] | None = None,
) -> Stored:
    """Check one uploaded file and write it into the corpus folder under a safe name (atomically).

    An existing article with the same name (ignoring case and extension) or the same text is never replaced
    unless ``replace`` is set; ``taken`` holds the (casefolded) names stored earlier in the same batch, which
    get a unique name instead; ``known`` maps content hashes to the ids of the articles already indexed."""
    corpus = Path(settings.corpus_dir)
    safe = safe_filename(original_name)
    name = unique_name(safe, taken if taken is not None else set())
    text = check_content(name, data)
    payload = data if Path(name).suffix.lower() == ".pdf" else text.encode("utf-8")  # a PDF is stored as it came
    corpus.mkdir(parents=True, exist_ok=True)
    target = corpus / name
    if not _inside(corpus, target) or target.resolve().parent != corpus.resolve():
        raise UploadError("refusing to write outside the corpus folder")
    new_id = article_id(target, corpus)
    same_name = [p for p in _corpus_files(corpus) if article_id(p, corpus).casefold() == new_id.casefold()]
    if any(p.is_symlink() for p in same_name) or target.is_symlink():
        raise UploadError(f"{name} in the corpus folder is a symbolic link; refusing to replace it")
    if same_name and not replace:
        raise UploadError(
            f"an article named {same_name[0].name} is already in the corpus; choose “Replace existing articles” "
            "to replace it, or rename the file"
        )
    # Staged as a hidden file (never ingested) with the final suffix, so it is parsed as it will be.
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=Path(name).suffix, dir=corpus)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        try:
            article = load_article(tmp, corpus)
        except ArticleError as exc:
            raise UploadError(f"not usable as an article: {exc}") from None
        too_long = passage_limit_error(len(split_article(article)))
        if too_long:
            raise UploadError(f"not accepted: {too_long}")
        digest = _digest(article)
        twin = (known or {}).get(digest)
        same_text = files_for(settings, twin) if twin and twin.casefold() != new_id.casefold() else []
        if twin and twin.casefold() != new_id.casefold() and not replace:
            raise UploadError(
                f"the same article is already in the corpus as {twin}; choose “Replace existing articles” to "
                "replace it with this file"
            )
        for old in same_name + same_text:
            if old != target:
                old.unlink(missing_ok=True)
        replaced = bool(same_name or same_text)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    if taken is not None:
        taken.add(name.casefold())
    if known is not None:
        known[digest] = new_id
    return Stored(name=name, article_id=new_id, title=article.title, replaced=replaced, renamed_from=safe)


def _corpus_files(corpus: Path) -> list[Path]:
    return [p for p in corpus_files(corpus) if _inside(corpus, p)] if corpus.is_dir() else []


def _digest(article: Article) -> str:
    from index.embed import Embedder
    from index.ingest import content_hash

    return content_hash(article, Embedder.name)


def indexed_hashes(settings: Settings) -> dict[str, str]:
    """Content hash -> article id of every article the index holds ({} when there is no index yet)."""
    from index.embed import Embedder
    from index.store import PassageStore, StoreError

    try:
        store = PassageStore(settings, Embedder.name, Embedder.dim, create=False)
        return {r.content_hash: r.article_id for r in store.articles().values()}
    except StoreError:
        return {}


def delete_files(settings: Settings, ids: list[str]) -> list[str]:
    """Remove the files of the given article ids from the corpus folder; returns the ids removed."""
    removed = []
    for wanted in ids:
        paths = files_for(settings, wanted)
        for path in paths:
            path.unlink(missing_ok=True)
        if paths:
            removed.append(wanted)
    return removed


def batch_error(count: int, total_bytes: int) -> str:
    """Why a batch of ``count`` files of ``total_bytes`` is refused as a whole, or "" when it is not."""
    if count > MAX_UPLOAD_FILES:
        return f"{count} files at once is over the limit of {MAX_UPLOAD_FILES} per upload; upload them in batches"
    if total_bytes > MAX_BATCH_BYTES:
        return (
            f"the files add up to {total_bytes:,} bytes, over the limit of {MAX_BATCH_BYTES:,} per upload; "
            "upload them in smaller batches"
        )
    return ""


@dataclass(frozen=True)
class ArticleRow:
    article_id: str
    title: str
    passages: int
    indexed_at: float
    published: str
    byline: str
    complete: bool
    date: str | None = None  # publication date, ISO
    file: str = ""  # the file's name in the corpus folder

    @property
    def indexed(self) -> str:
        if not self.indexed_at:
            return ""
        return datetime.fromtimestamp(self.indexed_at).strftime("%Y-%m-%d %H:%M")


def list_articles(settings: Settings) -> list[ArticleRow]:
    """What the index holds, one row per article, newest first. StoreError when there is no index."""
    from index.embed import Embedder
    from index.store import PassageStore

    store = PassageStore(settings, Embedder.name, Embedder.dim, create=False)
    rows = [
        ArticleRow(
            r.article_id,
            r.title,
            r.passages,
            r.indexed_at,
            r.published,
            r.byline,
            r.complete,
            r.date,
            Path(r.source).name if r.source else r.article_id,
        )
        for r in store.articles().values()
    ]
    return sorted(rows, key=lambda r: (-r.indexed_at, r.article_id))  # newest first


def find_article(settings: Settings, wanted_id: str) -> Article | None:
    """The article with this id as it is on disk now (read afresh; the app reads through its ``ArticleCache``)."""
    return ArticleCache(settings).find(wanted_id)


class ArticleCache:
    """The corpus folder's articles as they are on disk now, for the sources panel and the article viewer: each
    read once per version of its file (cached by file, modification time and size). The app builds one."""

    MAX_ENTRIES = 256

    def __init__(self, settings: Settings):
        self.settings = settings
        self._articles: dict[tuple[str, float, int], Article] = {}
        self._lock = threading.Lock()

    def find(self, wanted_id: str) -> Article | None:
        """The article with this id, or None when no readable file in the corpus folder has it."""
        paths = files_for(self.settings, wanted_id)
        if not paths:
            return None
        path = paths[0]
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (str(path), stat.st_mtime, stat.st_size)
        with self._lock:
            cached = self._articles.get(key)
        if cached is not None:
            return cached
        try:
            article = load_article(path, Path(self.settings.corpus_dir))
        except (ArticleError, OSError):
            return None
        with self._lock:
            if len(self._articles) > self.MAX_ENTRIES:
                self._articles.clear()
            self._articles[key] = article
        return article
