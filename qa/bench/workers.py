"""The measurements of ``qa bench speed``, each run in a process of its own by ``measure.spawn``
(``python -m qa.bench.workers KIND SPEC``): a timed ingestion, the model alone embedding the same texts, cold
start and query latency, the reranker's cheaper settings, the ONNX query encoder export, and the synthetic
collection (``qa.bench.synthetic``). A worker prints its result as one JSON line after ``RESULT_PREFIX``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from qa.bench.measure import RESULT_PREFIX, spec_settings
from qa.figures import percentile
from qa.progress import ProgressBar
from qa.settings import PROJECT_ROOT


def _emit(result: dict) -> None:
    import resource

    result["self_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


def worker_ingest(spec: dict) -> dict:
    """One ``index.ingest.ingest`` run, its phases timed by the embedder and the store handed to it."""
    started = time.perf_counter()
    from index.embed import Embedder
    from index.ingest import ingest, load_corpus
    from index.split import split_article
    from index.store import PassageStore

    timers = {"embed": 0.0, "write": 0.0, "inventory": 0.0, "delete": 0.0, "embedded": 0}

    class TimedEmbedder(Embedder):
        def embed(self, texts, progress=False):
            t = time.perf_counter()
            vectors = super().embed(texts, progress)
            timers["embed"] += time.perf_counter() - t
            timers["embedded"] += len(texts)
            return vectors

    class TimedStore(PassageStore):
        def add(self, rows):
            t = time.perf_counter()
            super().add(rows)
            timers["write"] += time.perf_counter() - t

        def delete_ids(self, ids):
            t = time.perf_counter()
            super().delete_ids(ids)
            timers["delete"] += time.perf_counter() - t

        def inventory(self):
            t = time.perf_counter()
            out = super().inventory()
            timers["inventory"] += time.perf_counter() - t
            return out

    import llama_index.vector_stores.chroma  # noqa: F401 - a one-off import (~2 s) counted here, not as writing

    settings = spec_settings(spec)
    embedder = TimedEmbedder(settings.threads)
    imports = time.perf_counter() - started
    t = time.perf_counter()
    if spec.get("warm_model", True):
        embedder.model  # noqa: B018 - load the model outside the timed ingestion
    model_load = time.perf_counter() - t
    t = time.perf_counter()
    articles, _ = load_corpus(settings.corpus_dir)
    load_seconds = time.perf_counter() - t
    t = time.perf_counter()
    passages = sum(len(split_article(a)) for a in articles)
    split_seconds = time.perf_counter() - t
    progress = ProgressBar(spec.get("label", "ingest"), mininterval=2) if spec.get("progress", True) else None
    t = time.perf_counter()
    rebuild = spec.get("rebuild", False)
    report = ingest(settings, embedder, settings.corpus_dir, progress, rebuild=rebuild, store_factory=TimedStore)
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "report_seconds": report.seconds,
        "articles": len(articles),
        "passages": passages,
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": report.unchanged,
        "skipped": [f"{s.source}: {s.reason}" for s in report.skipped],
        "embedded": report.passages_embedded,
        "imports": imports,
        "model_load": model_load,
        "load": load_seconds,
        "split": split_seconds,
        **timers,
    }


def worker_raw_embed(spec: dict) -> dict:
    """The model alone on the same passage texts ingestion embeds: one ``Embedder.embed`` call."""
    from index.embed import Embedder, passage_text_for_embedding
    from index.ingest import load_corpus
    from index.split import split_article

    settings = spec_settings(spec)
    articles, _ = load_corpus(settings.corpus_dir)
    texts = [passage_text_for_embedding(a.title, p.text) for a in articles for p in split_article(a)]
    embedder = Embedder(settings.threads)
    embedder.embed(texts[:8])  # load and warm up
    t = time.perf_counter()
    embedder.embed(texts)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "passages": len(texts), "passages_per_s": len(texts) / seconds}


def worker_serve(spec: dict) -> dict:
    """Cold start phases, then ``Retriever.retrieve`` latency over the queries, answers, eval items."""
    spawned_at = spec["spawned_at"]
    begun = time.time()
    phases = {"interpreter": begun - spawned_at}
    t = time.perf_counter()
    from qa.pipeline import Engine

    phases["imports"] = time.perf_counter() - t
    settings = spec_settings(spec).with_(candidates=spec.get("candidates", 20))
    t = time.perf_counter()
    engine = Engine(settings)
    retriever = engine.retriever
    phases["open_store"] = time.perf_counter() - t
    t = time.perf_counter()
    retriever.query_encoder.embed_query("warm up")
    phases["embed_model"] = time.perf_counter() - t
    phases["query_encoder"] = type(retriever.query_encoder).__name__  # QueryEncoder (ONNX) or Embedder (torch)
    t = time.perf_counter()
    retriever.reranker.score("warm up", ["warm up"])
    phases["rerank_model"] = time.perf_counter() - t
    t = time.perf_counter()
    keyword = retriever.keyword
    phases["bm25_build"] = time.perf_counter() - t
    t = time.perf_counter()
    first = engine.answer(spec["first_question"])
    phases["first_answer"] = time.perf_counter() - t
    phases["process_to_first_answer"] = time.time() - spawned_at

    queries = spec["queries"]
    runs = []
    for _ in range(spec.get("runs", 3)):
        samples = []
        for query in queries:
            t = time.perf_counter()
            retrieval = retriever.retrieve(query, settings.candidates)
            total = time.perf_counter() - t
            timings = retrieval.timings
            # The reranker scores a repeated text once, and the synthetic copies of one-sentence passages are
            # exact repeats. So that no figure rests on them, the same query again with every candidate scored:
            # what an archive without repeats costs, on the same candidates' lengths.
            t = time.perf_counter()
            retriever.retrieve(query, settings.candidates, skip_repeats=False)
            every = time.perf_counter() - t
            samples.append(
                {
                    "total": total,
                    "every": every,
                    "keyword": timings.get("keyword"),
                    "dense": timings.get("dense"),
                    "fuse": timings["retrieve"] - timings.get("keyword", 0) - timings.get("dense", 0),
                    "rerank": timings["rerank"],
                    "distinct": len({p.passage.text for p in retrieval.passages}),
                }
            )
        runs.append(samples)
    rebuilt = retriever.keyword is not keyword

    answers = []
    for query in queries[: spec.get("answer_queries", 10)]:
        t = time.perf_counter()
        engine.answer(query)
        answers.append(time.perf_counter() - t)

    evaluated = [_evaluate(engine, item) for item in spec.get("eval_items", [])]
    import resource

    serving_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the extra builds below

    from index.keyword import KeywordIndex

    t = time.perf_counter()
    stored = retriever.store.passages()
    store_read = time.perf_counter() - t
    t = time.perf_counter()
    KeywordIndex(stored)
    bm25_only = time.perf_counter() - t
    passages = len(stored)
    del stored
    return {
        "serving_rss_mb": serving_rss,
        "passages": passages,
        "phases": phases,
        "first_cites": [c.article_id for c in first.citations],
        "first_text": first.text,
        "store_read": store_read,
        "bm25_only": bm25_only,
        "runs": runs,
        "keyword_rebuilt_during_queries": rebuilt,
        "answer_seconds": answers,
        "eval": evaluated,
    }


def reuters_items() -> list[dict]:
    path = PROJECT_ROOT / "eval" / "reuters.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def bench_queries(data_dir: Path, quick: bool = False) -> list[str]:
    """The timed queries: seed eval questions, the Reuters eval questions, and Reuters headlines (once imported
    under ``data_dir``)."""
    seed = [json.loads(line) for line in (PROJECT_ROOT / "eval" / "seed.jsonl").read_text().splitlines() if line]
    n_seed = 8 if quick else 12
    queries = [item["question"] for item in seed[:n_seed]]
    queries += [item["question"] for item in reuters_items()]
    manifest = data_dir / "reuters" / "corpus" / ".manifest.jsonl"
    headlines = []
    if manifest.exists():
        files = [json.loads(line)["file"] for line in manifest.read_text().splitlines() if line]
        wanted = 6 if quick else 8
        step = max(len(files) // wanted, 1)
        for name in files[::step][:wanted]:
            first = (manifest.parent / name).read_text().split("\n", 1)[0]
            headlines.append(first.lower().rstrip("."))
    return queries + headlines


def worker_query_encoder(spec: dict) -> dict:
    """The one-off ONNX export of the embedding model for queries (``qa ingest`` does it once per data folder)."""
    from index.embed import Embedder
    from index.query_encoder import ensure_query_encoder

    t = time.perf_counter()
    path, _ = ensure_query_encoder(spec_settings(spec).data_dir, lambda: Embedder(2))
    return {"seconds": time.perf_counter() - t, "path": str(path), "bytes": path.stat().st_size}


def worker_rerank(spec: dict) -> dict:
    """What the reranker costs with 20 candidates, and with cheaper settings (for the 250 ms target)."""
    from qa.pipeline import Engine

    engine = Engine(spec_settings(spec))
    return {"options": _rerank_options(engine.retriever, spec["queries"])}


def _evaluate(engine, item: dict) -> dict:
    answer = engine.answer(item["question"], item.get("history") or None)
    cited = [c.article_id for c in answer.citations]
    gold = set(item["article_ids"])
    aliases = [a.lower() for a in item["answers"]]
    found_alias = any(a in answer.text.lower() for a in aliases)
    if item["category"] == "unanswerable":
        correct = answer.abstained
        copy = False
    else:
        correct = (not answer.abstained) and bool(gold & set(cited)) and found_alias
        copy = any(c.split("/", 2)[-1] in gold for c in cited if c.startswith("synthetic/"))
    return {
        "id": item["id"],
        "question": item["question"],
        "category": item["category"],
        "text": answer.text,
        "cited": cited,
        "abstained": answer.abstained,
        "correct": correct,
        "cited_synthetic_copy": copy,
        "total": answer.timings.get("total"),
    }


def _rerank_options(retriever, queries: list[str]) -> dict:
    from qa.rerank import CrossEncoder

    current = retriever.reranker
    threads = current.threads
    variants = {
        f"20 candidates, max {current.max_length} tokens, one text per run on {threads} parallel runs (current)": (
            current,
            20,
        ),
        f"20 candidates, batches of 8 by length on one {threads}-thread run": (
            CrossEncoder(threads, batch_size=8, parallel_batches=False),
            20,
        ),
        "20 candidates, one batch of 20": (CrossEncoder(threads, batch_size=20, parallel_batches=False), 20),
        "20 candidates, max 128 tokens": (CrossEncoder(threads, max_length=128), 20),
        "12 candidates": (current, 12),
        "10 candidates": (current, 10),
        "8 candidates": (current, 8),
    }
    candidate_lists = [retriever.candidates(q, 20)[0] for q in queries]
    out = {}
    reference = None
    for name, (encoder, n) in variants.items():
        encoder.score("warm up", ["warm up"])
        seconds, tops = [], []
        for query, candidates in zip(queries, candidate_lists, strict=True):
            texts = [p.passage.text for p in candidates[:n]]
            t = time.perf_counter()
            scores = encoder.score(query, texts)
            seconds.append(time.perf_counter() - t)
            tops.append(candidates[max(range(len(scores)), key=scores.__getitem__)].passage.id if scores else None)
        if reference is None:
            reference = tops
        agree = sum(a == b for a, b in zip(tops, reference, strict=True)) / max(len(tops), 1)
        out[name] = {"p50": percentile(seconds, 50), "p95": percentile(seconds, 95), "top1_agreement": agree}
    return out


def worker_synth(spec: dict) -> dict:
    from qa.bench.synthetic import build_synthetic

    return build_synthetic(spec)


WORKERS = {
    "ingest": worker_ingest,
    "raw_embed": worker_raw_embed,
    "serve": worker_serve,
    "rerank": worker_rerank,
    "query_encoder": worker_query_encoder,
    "synth": worker_synth,
}


def main(argv: list[str]) -> int:
    """``python -m qa.bench.workers KIND SPEC``: run one worker, print its result line."""
    kind, spec = argv
    _emit(WORKERS[kind](json.loads(spec)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
