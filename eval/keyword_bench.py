"""The keyword index alone at scale: build time, memory and query latency over N passages.

    python eval/keyword_bench.py --index-dir DIR [--passages 100000] [--queries eval/reuters-dev.jsonl]

Passages are the store's in DIR, repeated (with other article ids) up to N; queries are the set's questions,
each asked for the 20 best. Run it from two checkouts (PYTHONPATH) to compare implementations in one session.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from dataclasses import replace
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=Path, default=Path("eval/reuters-dev.jsonl"))
    args = parser.parse_args()

    from index.keyword import KeywordIndex
    from index.store import PassageStore
    from qa.settings import Settings

    settings = Settings.from_env({}, index_dir=args.index_dir, data_dir=args.index_dir.parent)
    base = PassageStore(settings, "sentence-transformers/all-MiniLM-L6-v2", 384, create=False).passages()
    passages = []
    while len(passages) < args.passages:
        copy = len(passages) // len(base)
        for stored in base[: args.passages - len(passages)]:
            article = f"{stored.passage.article_id}~{copy}" if copy else stored.passage.article_id
            passages.append(replace(stored, passage=replace(stored.passage, article_id=article)))
    questions = [json.loads(line)["question"] for line in args.queries.open() if line.strip()]

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    index = KeywordIndex(passages)
    build = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(3):
        for question in questions:
            started = time.perf_counter()
            index.search(question, 20)
            times.append(time.perf_counter() - started)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"{len(index):,} passages: build {build:.2f} s, peak RSS +{(rss_after - rss_before) / 1024:.0f} MB, "
        f"query p50 {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms ({len(times)} queries)"
    )


if __name__ == "__main__":
    main()
