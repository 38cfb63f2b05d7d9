"""Answer latency of whatever ``qa`` is on PYTHONPATH, for before/after comparisons run back to back.

    PYTHONPATH=TREE QA_INDEX_DIR=... QA_DATA_DIR=... QA_CORPUS_DIR=... python eval/answer_latency.py [N] [CATEGORY ...]

Answers the first N questions of eval/seed.jsonl (default 60; only the given categories, default every
category but cross-lingual) with one engine after one warm-up question, and prints the p50 and p95 of the
wall time per question and the mean CPU time per question (process time, all threads: steadier than wall time
on a shared machine).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

SEED = Path(__file__).resolve().parent / "seed.jsonl"


def main(argv: list[str]) -> int:
    from qa.pipeline import Engine
    from qa.settings import Settings

    n = int(argv[0]) if argv else 60
    categories = set(argv[1:])
    items = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [i for i in items if (i["category"] in categories if categories else i["category"] != "cross-lingual")]
    questions = [i["question"] for i in items if not i.get("history")][:n]
    engine = Engine(Settings.from_env())
    engine.answer(questions[0])
    walls, cpu_started = [], time.process_time()
    for question in questions:
        started = time.perf_counter()
        engine.answer(question)
        walls.append(time.perf_counter() - started)
    cpu = (time.process_time() - cpu_started) / len(questions)
    walls.sort()
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    print(f"{len(questions)} questions: wall p50 {statistics.median(walls):.3f} s, p95 {p95:.3f} s; cpu {cpu:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
