"""Importers that turn article collections into corpus files (one ``.txt`` per article, headline first): what
every importer shares (its report, its errors, writing the files and the manifest) and the JSONL importer. The
Reuters-21578 importer is ``qa.reuters``.

**JSONL** dumps of the user's own articles, one object per line:
``{"id", "title", "text", "published", "url"}``; only ``text`` is required. Each article becomes
``<safe id>.txt``: the title line, the ``published`` value on its own line (so the loader finds the
date), a blank line, then the text. Unusable lines are reported with their line numbers and skipped;
ids are reduced to safe file names (no folders, no leading dots, bounded length; a short hash keeps
two ids that reduce to the same name apart). ``url`` and the original id go to ``.manifest.jsonl``.

Files whose content did not change are not rewritten, so ``qa ingest`` afterwards skips them by hash;
files that an earlier import into the same folder wrote (listed in its manifest) and that this import no
longer produces are removed. Other files in the folder are never touched.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import UserError

MANIFEST = ".manifest.jsonl"
MAX_NAME = 80


class ImporterError(UserError):
    """An import cannot proceed; the message says what to do."""


@dataclass(frozen=True)
class BadLine:
    line: int  # 1-based
    reason: str


@dataclass
class ImportReport:
    out_dir: Path
    written: list[str] = field(default_factory=list)  # file names (new or changed)
    unchanged: list[str] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files of an earlier import that are gone now

    @property
    def articles(self) -> int:
        return len(self.written) + len(self.unchanged)

    def summary(self) -> str:
        parts = [f"{self.articles} articles in {self.out_dir}", f"{len(self.written)} written"]
        parts.append(f"{len(self.unchanged)} unchanged")
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.bad:
            parts.append(f"{len(self.bad)} bad lines skipped")
        return ", ".join(parts)


def read_maybe_gzipped(path: Path) -> str:
    """The file's text, gunzipped first when it starts with the gzip magic bytes (whatever its name)."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# --- writing ---------------------------------------------------------------------------------------


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists():
        try:
            if path.read_text(encoding="utf-8") == text:
                return False
        except (OSError, UnicodeDecodeError):
            pass
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


def prepare_folder(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImporterError(f"cannot create the output folder {out_dir}: {exc.strerror}") from None
    return out_dir


def _previous_files(out_dir: Path) -> set[str]:
    """Files an earlier import into ``out_dir`` wrote (from its manifest); other files are never touched."""
    try:
        lines = (out_dir / MANIFEST).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    names = set()
    for line in lines:
        try:
            name = json.loads(line).get("file", "")
        except (json.JSONDecodeError, AttributeError):
            continue
        if isinstance(name, str) and name and Path(name).name == name:
            names.add(name)
    return names


def write_all(out_dir: Path, items: Iterable[tuple[str, str, dict]], report: ImportReport) -> None:
    previous = _previous_files(out_dir)
    manifest = []
    for name, text, meta in items:
        target = out_dir / name
        (report.written if _write_if_changed(target, text) else report.unchanged).append(name)
        manifest.append(json.dumps({"file": name, **meta}, ensure_ascii=False))
    current = set(report.written) | set(report.unchanged)
    for name in sorted(previous - current):  # an earlier import's file this import no longer produces
        (out_dir / name).unlink(missing_ok=True)
        report.removed.append(name)
    _write_if_changed(out_dir / MANIFEST, "\n".join(manifest) + ("\n" if manifest else ""))


# --- JSONL -----------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
FIELDS = ("id", "title", "text", "published", "url")


def safe_name(article_id: str, limit: int = MAX_NAME) -> str:
    """A file name (without extension) for an id: safe characters only, no leading dot, bounded length.

    When the id had to be changed, a short hash of the original keeps distinct ids apart.
    """
    name = _UNSAFE.sub("-", article_id).strip("-.")
    name = re.sub(r"-{2,}", "-", name)
    if name == article_id and 0 < len(name) <= limit:
        return name
    digest = hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:8]
    name = name[: limit - 9].rstrip("-.")
    return f"{name}-{digest}" if name else f"article-{digest}"


def _jsonl_article(record: object) -> tuple[dict, str]:
    """(fields, error): the cleaned fields of one JSONL record, or why it cannot be used."""
    if not isinstance(record, dict):
        return {}, f"expected a JSON object, got {type(record).__name__}"
    values = {}
    for name in FIELDS:
        value = record.get(name, "")
        if value is None:
            value = ""
        if name == "id" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return {}, f'"{name}" must be a string, got {type(value).__name__}'
        values[name] = value.strip() if name != "text" else value
    if not values["text"].strip():
        return {}, 'missing or empty "text"'
    if "\n" in values["title"] or "\n" in values["published"]:
        return {}, '"title" and "published" must be single lines'
    if not values["id"]:
        values["id"] = "sha-" + hashlib.sha256(values["text"].encode("utf-8")).hexdigest()[:12]
    return values, ""


def _article_file(values: dict) -> str:
    text = values["text"].replace("\r\n", "\n").replace("\r", "\n").strip()
    title = " ".join(values["title"].split())
    head = []
    if title and not text.startswith(title):
        head.append(title)
    if values["published"] and values["published"] not in text[:500]:
        head.append(values["published"])
    return ("\n".join(head) + "\n\n" if head else "") + text + "\n"


def import_jsonl(path: Path, out_dir: Path) -> ImportReport:
    """One corpus file per usable line of ``path``; unusable lines are listed in ``report.bad``."""
    path = Path(path)
    try:
        lines = read_maybe_gzipped(path).splitlines()
    except OSError as exc:
        raise ImporterError(f"cannot read {path}: {exc.strerror}") from None
    out_dir = prepare_folder(out_dir)
    report = ImportReport(out_dir)
    items, seen_ids, seen_names = [], {}, {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.bad.append(BadLine(number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        values, error = _jsonl_article(record)
        if error:
            report.bad.append(BadLine(number, error))
            continue
        article_id = values["id"]
        if article_id in seen_ids:
            report.bad.append(BadLine(number, f"duplicate id {article_id!r} (first on line {seen_ids[article_id]})"))
            continue
        seen_ids[article_id] = number
        name = safe_name(article_id)
        if name.lower() in seen_names:  # case-insensitive file systems
            name = safe_name(article_id + f"\x00{number}")
        seen_names[name.lower()] = number
        meta = {"id": article_id, "url": values["url"], "published": values["published"], "line": number}
        items.append((f"{name}.txt", _article_file(values), meta))
    write_all(out_dir, items, report)
    return report
