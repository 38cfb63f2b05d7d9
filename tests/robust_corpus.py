"""Helpers for the fault and concurrency tests: a bigger corpus made from the seed articles, the
environment for ``python -m qa.cli`` subprocesses, and a check that the store matches the corpus."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from index.ingest import content_hash, load_corpus
from index.offline import child_env
from index.sentences import sentence_spans
from index.split import split_article
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"


def seed_sentences() -> list[str]:
    sentences = []
    for path in sorted(SEED_CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences += [text[s:e] for s, e in sentence_spans(text) if 60 <= e - s <= 400]
    return sentences


def make_corpus(dest: Path, extra: int, paragraphs: int = 20) -> Path:
    """The seed corpus plus ``extra`` generated articles (seed sentences, reordered and tagged, so every
    article and passage is distinct) of ``paragraphs`` passage-sized paragraphs each."""
    shutil.copytree(SEED_CORPUS, dest)
    sentences = seed_sentences()
    for i in range(extra):
        lines = [f"Newsdesk digest {i}: trade talks, tariffs and TikTok", ""]
        for j in range(paragraphs):
            first = sentences[(i * 7 + j * 3) % len(sentences)]
            second = sentences[(i * 11 + j * 5 + 1) % len(sentences)]
            lines += [f"Item {j} of digest {i}. {first} {second}", ""]
        (dest / f"digest_{i:03d}.txt").write_text("\n".join(lines), encoding="utf-8")
    return dest


def cli_env(settings: Settings) -> dict[str, str]:
    return child_env(
        QA_CORPUS_DIR=str(settings.corpus_dir),
        QA_INDEX_DIR=str(settings.index_dir),
        QA_DATA_DIR=str(settings.data_dir),
        PYTHONPATH=str(ROOT),
    )


def start_cli(settings: Settings, *args: str, stdout, stderr) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "qa.cli", *args],
        cwd=ROOT,
        env=cli_env(settings),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
    )


def consistency_problems(settings: Settings, embed_model: str, embed_dim: int) -> tuple[list[str], int]:
    """What is wrong between the store and the corpus folder (``[]`` when nothing), and the passage count.

    Consistent means: exactly the corpus's articles, each at its current content hash, each complete
    with exactly the passages ``split_article`` makes (count == sum of lengths), every stored text equal
    to its slice of the article, no duplicate ids and no two passages of one article at one offset."""
    from index.store import PassageStore

    articles, _ = load_corpus(Path(settings.corpus_dir))
    store = PassageStore(settings, embed_model, embed_dim, create=False)
    rows = store.collection.get(include=["metadatas", "documents"])
    problems = []
    ids = rows["ids"]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    if duplicates:
        problems.append(f"duplicate ids: {duplicates[:5]}")
    offsets = Counter((m["article_id"], m["start"]) for m in rows["metadatas"])
    doubled = [key for key, n in offsets.items() if n > 1]
    if doubled:
        problems.append(f"two passages at one offset: {doubled[:5]}")
    wanted = {a.id: a for a in articles}
    stored_ids = {m["article_id"] for m in rows["metadatas"]}
    if stored_ids - set(wanted):
        problems.append(f"articles no longer in the corpus: {sorted(stored_ids - set(wanted))[:5]}")
    expected_total = 0
    by_article: dict[str, list[tuple[dict, str]]] = {}
    for meta, text in zip(rows["metadatas"], rows["documents"], strict=True):
        by_article.setdefault(meta["article_id"], []).append((meta, text))
    for article in articles:
        passages = split_article(article)
        expected_total += len(passages)
        stored = by_article.get(article.id, [])
        digest = content_hash(article, embed_model)
        if len(stored) != len(passages):
            problems.append(f"{article.id}: {len(stored)} passages stored, {len(passages)} expected")
        if {m["content_hash"] for m, _ in stored} != {digest}:
            problems.append(f"{article.id}: stored versions are not exactly the current one")
        for meta, text in stored:
            if article.text[meta["start"] : meta["end"]] != text or meta["n_passages"] != len(passages):
                problems.append(f"{article.id}: passage at {meta['start']} does not match the article")
                break
    if len(ids) != expected_total:
        problems.append(f"{len(ids)} passages stored, {expected_total} expected (sum of split_article lengths)")
    return problems, len(ids)
