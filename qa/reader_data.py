"""Training data for the reader, from QA sets that ship in the bigbench==1.0.0 source archive on PyPI.

Used: SQuADShifts ``new_wiki``, ``reddit``, ``amazon_reviews`` (crowd questions with answer spans) and
CoQA's stories from every source but ``cnn`` (conversational turns with rationale spans).
Never read: SQuAD v1.1 dev (our public benchmark, only reported on), SQuADShifts ``nyt`` and CoQA's ``cnn``
stories (kept for others to check us). ``RESERVED`` names them; ``extract_sources`` refuses them.

Besides the answer windows, three kinds of no-answer example teach "on topic, but does not answer":
- ``other-paragraph``: the question against the best-ranked *other* paragraph of its source, found by our
  own BM25 + dense retrieval over the training paragraphs (fused by reciprocal rank);
- ``sentence-removed``: the gold paragraph with the sentence holding the answer taken out;
- ``unknown``: CoQA turns whose answer is "unknown".
A held-out share of paragraphs (by a hash of their text) is never trained on: the training command reports on
it and the reader's refusal threshold is calibrated on it.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.sentences import sentence_spans
from qa.reader import reader_question

TASKS = "bigbench-1.0.0/bigbench/benchmark_tasks"
SOURCES = {
    "new_wiki": f"{TASKS}/squad_shifts/new_wiki_v1.0.json",
    "reddit": f"{TASKS}/squad_shifts/reddit_v1.0.json",
    "amazon_reviews": f"{TASKS}/squad_shifts/amazon_reviews_v1.0.json",
    "coqa": f"{TASKS}/coqa_conversational_question_answering/coqa.test.json",
}
# Never trained or tuned on: squaddev is the public benchmark; nyt and CoQA's cnn stories are others' check.
RESERVED = (
    f"{TASKS}/squad_shifts/squaddev_v1.1.json",
    f"{TASKS}/squad_shifts/nyt_v1.0.json",
)
RESERVED_COQA_SOURCES = frozenset({"cnn"})
HELDOUT_SHARE = 0.05


@dataclass(frozen=True)
class ReaderExample:
    """One (question, context) pair; ``answer_start`` -1 means the context does not answer the question."""

    id: str
    source: str  # new_wiki | reddit | amazon_reviews | coqa:<story source>
    kind: str  # answer | other-paragraph | sentence-removed | unknown
    question: str  # as the reader reads it (a follow-up carries its previous turn, see reader_question)
    context: str
    answer_start: int
    answer_text: str
    golds: tuple[str, ...]  # every accepted answer text (evaluation)
    heldout: bool


def is_heldout(text: str, share: float = HELDOUT_SHARE) -> bool:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def extract_sources(sdist: Path, target_dir: Path) -> dict[str, Path]:
    """Stream the four training files out of the archive (never the reserved ones)."""
    from qa.bench.archive import extract_member

    target_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, member in SOURCES.items():
        if member in RESERVED:
            raise ValueError(f"{member} is reserved and never used for training")
        path = target_dir / Path(member).name
        if not path.exists():
            extract_member(sdist, member, path)
        paths[name] = path
    return paths


@dataclass(frozen=True)
class _Paragraph:
    key: str
    source: str
    context: str
    qas: tuple[dict, ...]


def read_squad_shifts(path: Path, source: str) -> list[_Paragraph]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    paragraphs = []
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            paragraphs.append(_Paragraph(f"{source}-{a}-{p}", source, paragraph["context"], tuple(paragraph["qas"])))
    return paragraphs


_NORMAL = re.compile(r"[^a-z0-9]+")


def _normal(text: str) -> str:
    return " ".join(_NORMAL.sub(" ", text.lower()).split())


def _sentence_removed(context: str, start: int, end: int) -> str:
    """The paragraph without the sentence(s) the span [start, end) lies in ("" if nothing would remain)."""
    kept = [(s, e) for s, e in sentence_spans(context) if e <= start or s >= end]
    return " ".join(context[s:e] for s, e in kept)


def squad_examples(
    paragraphs: list[_Paragraph],
    neighbours: Callable[[int, str], list[int]],
    rng: random.Random,
    other_share: float,
    removed_share: float,
) -> list[ReaderExample]:
    """Answer examples for every question, plus sampled no-answer examples. ``neighbours(i, question)`` gives
    the indices of the paragraphs that rank best for the question, best first."""
    examples = []
    for i, paragraph in enumerate(paragraphs):
        heldout = is_heldout(paragraph.context)
        for qa in paragraph.qas:
            answers = [a for a in qa["answers"] if a["text"].strip()]
            if not answers:
                continue
            golds = tuple(dict.fromkeys(a["text"] for a in answers))
            first = answers[0]
            start, text = int(first["answer_start"]), first["text"]
            if paragraph.context[start : start + len(text)] != text:
                found = paragraph.context.find(text)
                if found < 0:
                    continue
                start = found
            question = reader_question(qa["question"])
            base = dict(source=paragraph.source, question=question, golds=golds, heldout=heldout)
            examples.append(
                ReaderExample(
                    qa["id"], kind="answer", context=paragraph.context, answer_start=start, answer_text=text, **base
                )
            )
            normal_golds = [_normal(g) for g in golds if _normal(g)]
            if rng.random() < other_share:
                for j in neighbours(i, qa["question"]):
                    other = paragraphs[j].context
                    if j != i and not any(f" {g} " in f" {_normal(other)} " for g in normal_golds):
                        examples.append(
                            ReaderExample(
                                f"{qa['id']}-other", kind="other-paragraph", context=other, answer_start=-1,
                                answer_text="", **base,
                            )
                        )  # fmt: skip
                        break
            if rng.random() < removed_share:
                rest = _sentence_removed(paragraph.context, start, start + len(text))
                if len(rest) > 80 and not any(f" {g} " in f" {_normal(rest)} " for g in normal_golds):
                    examples.append(
                        ReaderExample(
                            f"{qa['id']}-removed", kind="sentence-removed", context=rest, answer_start=-1,
                            answer_text="", **base,
                        )
                    )  # fmt: skip
    return examples


_YES_NO = {"yes", "no", "yes.", "no."}
_UNKNOWN = {"unknown", "unknow", "unknown."}


def coqa_examples(path: Path) -> list[ReaderExample]:
    """Each CoQA turn with an extractive answer (its free-form answer found inside the story, preferably in
    its rationale) or an "unknown" one; the question carries the previous turn, as CoQA readers read it."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    examples = []
    for story in data:
        if story["source"] in RESERVED_COQA_SOURCES:
            continue
        context = story["story"]
        heldout = is_heldout(context)
        lowered = context.lower()
        previous = ""
        for question, answer in zip(story["questions"], story["answers"], strict=False):
            text = " ".join(answer["input_text"].split()).rstrip(".")
            turn = f"{question['input_text']} {answer['input_text']}"
            source = f"coqa:{story['source']}"
            ask = reader_question(question["input_text"], previous)
            previous = turn
            example_id = f"{story['id']}-{question['turn_id']}"
            if text.lower() in _UNKNOWN:
                examples.append(ReaderExample(example_id, source, "unknown", ask, context, -1, "", (), heldout))
                continue
            if not text or text.lower() in _YES_NO:
                continue
            lo, hi = int(answer.get("span_start", -1)), int(answer.get("span_end", -1))
            start = lowered.find(text.lower(), max(lo, 0), hi + 1) if lo >= 0 and hi > lo else -1
            if start < 0:
                start = lowered.find(text.lower())
            if start < 0:
                continue
            golds = (context[start : start + len(text)],)
            examples.append(ReaderExample(example_id, source, "answer", ask, context, start, golds[0], golds, heldout))
    return examples


def paragraph_neighbours(paragraphs: list[_Paragraph], embed: Callable[[list[str]], object] | None, k: int = 8):
    """``neighbours(i, question)``: BM25 and dense rankings over the paragraphs fused by reciprocal rank
    (the product's own retrieval, without the reranker). ``embed`` None: BM25 only (the tiny test run)."""
    import numpy as np

    from index.keyword import KeywordIndex
    from index.store import StoredPassage
    from index.types import Passage

    stored = [StoredPassage(Passage(p.key, p.context, 0, len(p.context), 0), "") for p in paragraphs]
    keyword = KeywordIndex(stored)
    position = {p.key: i for i, p in enumerate(paragraphs)}
    vectors, queries = None, {}
    if embed is not None:  # one batch each: paragraphs, then every question of the source
        vectors = np.asarray(embed([p.context for p in paragraphs]), dtype=np.float32)
        asked = list(dict.fromkeys(qa["question"] for p in paragraphs for qa in p.qas))
        queries = dict(zip(asked, np.asarray(embed(asked), dtype=np.float32), strict=True))

    def neighbours(i: int, question: str) -> list[int]:
        fused: dict[int, float] = {}
        for rank, (hit, _) in enumerate(keyword.search(question, k + 1)):
            j = position[hit.passage.article_id]
            fused[j] = fused.get(j, 0.0) + 1.0 / (60 + rank)
        if vectors is not None:
            query = queries[question]
            for rank, j in enumerate(np.argsort(-(vectors @ query))[: k + 1]):
                fused[int(j)] = fused.get(int(j), 0.0) + 1.0 / (60 + rank)
        fused.pop(i, None)
        return sorted(fused, key=lambda j: -fused[j])

    return neighbours


@dataclass(frozen=True)
class CalibrationQuestion:
    """A held-out question as the product meets it: its own paragraph among the best-ranked others. With the
    gold paragraph it is answerable; with only the others (which lack its answer) it is not."""

    question: str
    golds: tuple[str, ...]
    gold: str
    others: tuple[str, ...]


def calibration_questions(
    paragraphs: list[_Paragraph], neighbours: Callable[[int, str], list[int]], per_source: int, others: int = 5
) -> list[CalibrationQuestion]:
    """The first question of each held-out paragraph (up to ``per_source``), with ``others`` retrieved paragraphs
    that do not contain any of its answers."""
    found = []
    for i, paragraph in enumerate(paragraphs):
        if len(found) >= per_source or not is_heldout(paragraph.context):
            continue
        for qa in paragraph.qas[:1]:
            golds = tuple(dict.fromkeys(a["text"] for a in qa["answers"] if a["text"].strip()))
            normal = [_normal(g) for g in golds if _normal(g)]
            if not normal:
                continue
            ranked = [
                paragraphs[j].context
                for j in neighbours(i, qa["question"])
                if not any(f" {g} " in f" {_normal(paragraphs[j].context)} " for g in normal)
            ]
            if len(ranked) >= others:
                found.append(CalibrationQuestion(qa["question"], golds, paragraph.context, tuple(ranked[:others])))
    return found


def build_examples(
    paths: dict[str, Path],
    seed: int,
    embed: Callable[[list[str]], object] | None,
    other_share: float = 0.4,
    removed_share: float = 0.3,
    limit: int | None = None,
    calibration_per_source: int = 250,
) -> tuple[list[ReaderExample], list[CalibrationQuestion]]:
    """All examples, in a fixed order for a given seed, and the held-out calibration questions. ``limit`` keeps
    the first paragraphs of each source (a small, fast run for tests)."""
    rng = random.Random(seed)
    examples: list[ReaderExample] = []
    calibration: list[CalibrationQuestion] = []
    for source in ("new_wiki", "reddit", "amazon_reviews"):
        if source not in paths:
            continue
        paragraphs = read_squad_shifts(paths[source], source)[:limit]
        neighbours = paragraph_neighbours(paragraphs, embed)
        examples += squad_examples(paragraphs, neighbours, rng, other_share, removed_share)
        calibration += calibration_questions(paragraphs, neighbours, calibration_per_source)
    if "coqa" in paths:
        coqa = coqa_examples(paths["coqa"])
        examples += coqa[: limit * 10] if limit else coqa
    return examples, calibration
