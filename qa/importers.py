"""Importers that turn article collections into corpus files (one ``.txt`` per article, headline first).

Two sources:

- **Reuters-21578** as shipped in Debian's ``weka`` package: ``apt-get download weka`` (the .deb is only
  unpacked with ``dpkg-deb -x`` into ``data/cache/weka``, never installed). Its
  ``usr/share/doc/weka/examples/ReutersCorn-train.arff`` and ``-test.arff`` hold 1,554 + 604 = 2,158
  articles as ARFF rows ``'<text>',<label>``. ``<text>`` is the Reuters TITLE (upper case) run into the
  BODY, wrapped at ~65 characters, with ``\\n``, ``\\'`` and ``\\"`` escapes, SGML entities
  (``&lt;``, ``&amp;``) and the ``Reuter &#3;`` end marker. We split the upper-case headline off, reflow the
  wrapped lines into paragraphs (a new paragraph starts at an indented line) and drop the end marker.
  Files are named ``{split}-{row:04d}-{headline slug}.txt`` (stable across re-imports, so article ids are
  too); a hidden ``.manifest.jsonl`` in the output folder records source, row and label per file.

- **JSONL** dumps of the user's own articles, one object per line:
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
import html
import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

WEKA_ARFF_DIR = "usr/share/doc/weka/examples"
REUTERS_FILES = ("ReutersCorn-train.arff", "ReutersCorn-test.arff")
MANIFEST = ".manifest.jsonl"
MAX_NAME = 80


class ImporterError(RuntimeError):
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


# --- ARFF ------------------------------------------------------------------------------------------


def read_maybe_gzipped(path: Path) -> str:
    """The file's text, gunzipped first when it starts with the gzip magic bytes (whatever its name)."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "'": "'", '"': '"', "\\": "\\", "%": "%"}


def _quoted(line: str, i: int) -> tuple[str, int]:
    """The ARFF quoted string starting at ``line[i]`` (a quote) and the index just past it."""
    quote = line[i]
    out: list[str] = []
    i += 1
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            out.append(_ESCAPES.get(line[i + 1], line[i + 1]))
            i += 2
            continue
        if ch == quote:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise ValueError("unterminated quoted string")


def parse_arff_row(line: str) -> list[str]:
    """The values of one ARFF data row: quoted (with backslash escapes) or bare, comma separated."""
    values, i = [], 0
    while i < len(line):
        while i < len(line) and line[i] in " \t":
            i += 1
        if i < len(line) and line[i] in "'\"":
            value, i = _quoted(line, i)
        else:
            end = line.find(",", i)
            end = len(line) if end < 0 else end
            value = line[i:end].strip()
            i = end
        values.append(value)
        while i < len(line) and line[i] in " \t":
            i += 1
        if i < len(line):
            if line[i] != ",":
                raise ValueError(f"expected ',' at column {i + 1}")
            i += 1
    return values


def read_arff(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, values) for each data row of an ARFF file (gzipped or not)."""
    in_data = False
    for number, raw in enumerate(read_maybe_gzipped(path).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        if not in_data:
            if line.lower().startswith("@data"):
                in_data = True
            continue
        try:
            yield number, parse_arff_row(line)
        except ValueError as exc:
            raise ImporterError(f"{path}:{number}: not an ARFF data row ({exc})") from None


# --- Reuters text ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILER = re.compile(r"\s*\bReuter\s*$")
_BODY_LEAD = re.compile(r"^(?:[A-Z]|(?:[A-Z]\.){2,}|OPEC|M-\d|[\d][\d.,]*)$")


def split_headline(text: str) -> tuple[str, str]:
    """("HEADLINE", body) from Reuters text whose upper-case title runs straight into the body.

    The headline is the leading run of words without a lower-case letter on the first line; a body that
    opens with an upper-case word ("U.S. farmers ...") lends that word to the headline, which is harmless.
    """
    first, _, rest = text.partition("\n")
    words = first.split(" ")
    n = 0
    while n < len(words) and not any(c.islower() for c in words[n]):
        n += 1
    # A body opening in lower case ("... <EPSI> A senior official", "... U.S. M-1 money supply rose")
    # took its first words with it: give back trailing initials, dotted acronyms, OPEC, M-1 and numbers.
    body_starts_lower = n < len(words) and words[n][:1].islower()
    moved = 0
    while body_starts_lower and n > 1 and moved < 2 and _BODY_LEAD.match(words[n - 1]):
        n -= 1
        moved += 1
    headline = " ".join(words[:n]).strip()
    body_first = " ".join(words[n:]).strip()
    if not headline:  # no upper-case title: use the first line as it is
        return first.strip(), rest
    body = body_first + ("\n" + rest if rest else "")
    return " ".join(headline.split()), body


def reflow(body: str) -> list[str]:
    """Paragraphs of a Reuters body: wrapped lines joined, a new paragraph at each indented line."""
    paragraphs: list[list[str]] = []
    for number, line in enumerate(body.split("\n")):
        stripped = line.strip()
        if not stripped:
            if paragraphs and paragraphs[-1]:
                paragraphs.append([])
            continue
        indented = line[:1].isspace()
        if number == 0 or indented or not paragraphs or not paragraphs[-1]:
            paragraphs.append([stripped])
        else:
            paragraphs[-1].append(stripped)
    return [" ".join(p) for p in paragraphs if p]


def reuters_article(raw: str) -> tuple[str, str]:
    """(headline, corpus file text) for one ARFF ``Text`` value."""
    text = html.unescape(raw)
    text = _CONTROL.sub("", text.replace("\r\n", "\n"))
    text = _TRAILER.sub("", text.rstrip())
    headline, body = split_headline(text)
    paragraphs = reflow(body)
    if paragraphs and paragraphs[-1] in ("Reuter", "REUTER"):
        paragraphs.pop()
    return headline, "\n".join([headline, *paragraphs]) + "\n"


def slug(text: str, limit: int = 40) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out or "untitled"


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


def _prepare(out_dir: Path) -> Path:
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


def _write_all(out_dir: Path, items: Iterable[tuple[str, str, dict]], report: ImportReport) -> None:
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


def import_reuters_arff(arff_files: Iterable[Path], out_dir: Path) -> ImportReport:
    """Write one corpus file per ARFF row of the given Reuters files (train first, then test)."""
    out_dir = _prepare(out_dir)
    report = ImportReport(out_dir)
    items = []
    for path in arff_files:
        path = Path(path)
        split = "test" if "test" in path.name.lower() else "train"
        for row, (number, values) in enumerate(read_arff(path), start=1):
            if not values or not values[0].strip():
                report.bad.append(BadLine(number, f"{path.name}: empty text"))
                continue
            headline, text = reuters_article(values[0])
            name = f"{split}-{row:04d}-{slug(headline)}.txt"
            meta = {"source": path.name, "line": number, "row": row, "label": values[-1] if len(values) > 1 else ""}
            items.append((name, text, meta))
    if not items:
        raise ImporterError("no articles found in " + ", ".join(str(p) for p in arff_files))
    _write_all(out_dir, items, report)
    return report


# --- fetching the weka package -------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    if shutil.which(cmd[0]) is None:
        raise ImporterError(f"{cmd[0]} is not available; {what} needs a Debian system (or pass --arff FILES)")
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        hint = " (run `apt-get update` first?)" if cmd[0] == "apt-get" else ""
        message = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["failed"]
        raise ImporterError(f"`{' '.join(cmd)}` failed{hint}: {message[0]}")


def fetch_reuters_arff(cache_dir: Path) -> list[Path]:
    """The two Reuters ARFF files, from a cached weka .deb (``apt-get download weka`` when missing)."""
    cache = Path(cache_dir) / "weka"
    cache.mkdir(parents=True, exist_ok=True)
    extracted = cache / "extracted"
    found = _find_arff(extracted)
    if found:
        return found
    debs = sorted(cache.glob("weka_*.deb"))
    if not debs:
        _run(["apt-get", "download", "weka"], cache, "downloading Reuters-21578")
        debs = sorted(cache.glob("weka_*.deb"))
        if not debs:
            raise ImporterError(f"apt-get download weka left no weka_*.deb in {cache}")
    _run(["dpkg-deb", "-x", str(debs[-1]), str(extracted)], cache, "unpacking the weka package")
    found = _find_arff(extracted)
    if not found:
        raise ImporterError(f"{debs[-1].name} has no {WEKA_ARFF_DIR}/{REUTERS_FILES[0]}")
    return found


def _find_arff(extracted: Path) -> list[Path]:
    folder = extracted / WEKA_ARFF_DIR
    out = []
    for name in REUTERS_FILES:
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                out.append(candidate)
                break
    return out if len(out) == len(REUTERS_FILES) else []


def import_reuters(out_dir: Path, cache_dir: Path, arff_files: list[Path] | None = None) -> ImportReport:
    return import_reuters_arff(arff_files or fetch_reuters_arff(cache_dir), out_dir)


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
    out_dir = _prepare(out_dir)
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
    _write_all(out_dir, items, report)
    return report
