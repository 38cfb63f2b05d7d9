"""``qa import reuters``: the 2,158 Reuters-21578 articles as corpus files.

**Reuters-21578** as shipped in Debian's ``weka`` package: ``apt-get download weka`` (the .deb is only
unpacked with ``dpkg-deb -x`` into ``data/cache/weka``, never installed). Its
``usr/share/doc/weka/examples/ReutersCorn-train.arff`` and ``-test.arff`` hold 1,554 + 604 = 2,158
articles as ARFF rows ``'<text>',<label>``. ``<text>`` is the Reuters TITLE (upper case) run into the
BODY, wrapped at ~65 characters, with ``\\n``, ``\\'`` and ``\\"`` escapes, SGML entities
(``&lt;``, ``&amp;``) and the ``Reuter &#3;`` end marker. We split the upper-case headline off, reflow the
wrapped lines into paragraphs (a new paragraph starts at an indented line) and drop the end marker.
Files are named ``{split}-{row:04d}-{headline slug}.txt`` (stable across re-imports, so article ids are
too); a hidden ``.manifest.jsonl`` in the output folder records source, row and label per file.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

from qa.importers import BadLine, ImporterError, ImportReport, prepare_folder, read_maybe_gzipped, write_all

WEKA_ARFF_DIR = "usr/share/doc/weka/examples"
REUTERS_FILES = ("ReutersCorn-train.arff", "ReutersCorn-test.arff")


# --- ARFF ------------------------------------------------------------------------------------------


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


def import_reuters_arff(arff_files: Iterable[Path], out_dir: Path) -> ImportReport:
    """Write one corpus file per ARFF row of the given Reuters files (train first, then test)."""
    out_dir = prepare_folder(out_dir)
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
    write_all(out_dir, items, report)
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
