"""``qa eval``: answer every item of an eval set with the same ``Engine`` the CLI and UI use, score it, print a
compact table and write the JSON, Markdown and PNG reports. The engine is called in ``evaluate_item`` and
``run`` only."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from qa.evaluation.compare import ReportError, compare_files
from qa.evaluation.metrics import failure, first_rank, normalize, score_item, summarize_all
from qa.evaluation.report import DEFAULT_OUT, format_table, write_reports
from qa.evaluation.schema import DEFAULT_SET, EvalItem, EvalSetError, load_eval_set

RANKED_KEPT = 10  # ranked passages stored per item in the JSON report


def _ranked(retrieval) -> list[dict]:
    return [
        {
            "article_id": p.passage.article_id,
            "start": p.passage.start,
            "end": p.passage.end,
            "text": p.passage.text,
            "score": p.score,
        }
        for p in retrieval.passages
    ]


def evaluate_item(engine, item: EvalItem, generator: str | None = None) -> dict:
    """Answer one item and score the answer and the ranked list it was made from; never raises."""
    history = list(item.history) or None
    answer, error, retrieval = None, "", None
    try:
        answered = engine.answer(item.question, history, generator=generator)
        answer, retrieval = answered.to_dict(), answered.retrieval
    except Exception as exc:  # a failed item counts as wrong and is listed, the run goes on
        error = f"{type(exc).__name__}: {exc}"
    retrieval_error, ranked, query = "", None, item.question
    try:
        if answer is not None:
            query = answer["standalone_question"] or answer["question"]
        else:
            from qa.condense import condense

            query = condense(item.question, history).text
        # The answer's own ranked list; retrieve again only if the answer failed before it was made.
        retrieval = retrieval or engine.retriever.retrieve(query, engine.settings.candidates)
        ranked = _ranked(retrieval)
    except Exception as exc:
        retrieval_error = f"{type(exc).__name__}: {exc}"
    scores = score_item(item, answer, error, ranked)
    gold_ids = set(item.article_ids)
    quote = normalize(item.quote) if item.quote else ""
    return {
        "id": item.id,
        "category": item.category,
        "question": item.question,
        "history": list(item.history),
        "gold": item.gold(),
        "answer": answer,
        "error": error,
        "retrieval": {
            "query": query,
            "error": retrieval_error,
            "article_rank": first_rank(ranked or [], lambda p: p["article_id"] in gold_ids) if gold_ids else None,
            "passage_rank": first_rank(ranked or [], lambda p: quote in normalize(p["text"])) if quote else None,
            "ranked": [{k: v for k, v in p.items() if k != "text"} for p in (ranked or [])[:RANKED_KEPT]],
        },
        "scores": scores,
    }


def run(engine, items: list[EvalItem], generator: str | None = None, progress: bool = False) -> list[dict]:
    """Evaluate ``items`` in order. Models are loaded before the first item so latency is per question."""
    engine.retriever.retrieve("warm up the models", engine.settings.candidates)
    iterator: Iterable[EvalItem] = items
    if progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc="evaluating", unit="item", file=sys.stderr)
    return [evaluate_item(engine, item, generator) for item in iterator]


@dataclass
class RunInfo:
    eval_set: str
    generator: str
    index_dir: str
    collection: str
    started: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    seconds: float = 0.0


def build_report(records: list[dict], info: RunInfo) -> dict:
    return {
        "kind": "newsdesk-qa eval report",
        "meta": vars(info),
        "summary": summarize_all(records),
        "failed": [{"id": r["id"], "error": failure(r)} for r in records if failure(r)],
        "items": records,
    }


def main(args, settings) -> int:
    """``qa eval [FILE] [--generator G] [--limit N] [--out DIR]`` or ``qa eval --compare OLD NEW``."""
    try:
        if getattr(args, "compare", None):
            print(compare_files(*args.compare))
            return 0
        path = Path(args.file) if args.file else DEFAULT_SET
        items = load_eval_set(path)
    except (EvalSetError, ReportError) as exc:
        print(f"qa eval: {exc}", file=sys.stderr)
        return 2
    if args.limit:
        items = items[: args.limit]
    from qa.pipeline import Engine

    engine = Engine(settings)
    generator = args.generator or settings.generator
    started = time.perf_counter()
    records = run(engine, items, generator, progress=True)
    info = RunInfo(str(path), generator, str(settings.index_dir), settings.collection)
    info.seconds = time.perf_counter() - started
    report = build_report(records, info)
    paths = write_reports(report, Path(args.out) if args.out else DEFAULT_OUT)
    print(f"{path}: {len(items)} items, generator {generator}, {info.seconds:.1f} s")
    print(format_table(report["summary"]))
    for failed in report["failed"]:
        print(f"FAILED {failed['id']}: {failed['error']}")
    print(f"\nreports: {paths['json']}\n         {paths['md']}\n         {paths['png']}")
    return 1 if report["failed"] else 0
