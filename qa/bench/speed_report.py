"""``qa bench speed``'s page, docs/benchmarks.md: one small function per section, from the per-size rows of
``speed_summary``; the part of the page measured by hand (after ``BY_HAND``) is kept as it is."""

from __future__ import annotations

import os
from pathlib import Path

from qa.bench.measure import say
from qa.bench.speed import SIZES
from qa.bench.speed_summary import (
    chart,
    encoder_kind,
    fmt_mb,
    fmt_ms,
    fmt_s,
    fmt_target,
    size_label,
    summarize,
)


def render(results: dict, summary: dict, chart_name: str) -> str:
    ingest_rows = [summary[k] for k in SIZES if k in summary and "ingest_s" in summary[k]]
    serve_rows = [summary[k] for k in SIZES if k in summary and summary[k].get("total_p50") is not None]
    lines = _header(results, summary)
    if ingest_rows:
        lines += _ingestion(ingest_rows)
    if serve_rows:
        lines += _query_latency(serve_rows, chart_name) + _rerank_options(serve_rows)
        lines += _cold_start(serve_rows) + _memory(serve_rows)
    lines += _answers(summary, serve_rows) + _synthetic(summary) + _closing(results)
    return "\n".join(lines)


# title: (what the table measures, the table's head, its alignment row)
TABLES = {
    "Ingestion": (
        'A fresh ingestion (`index.ingest.ingest(..., rebuild=True)`; the model is loaded and llama-index imported first, shown apart as one-off costs) against the model alone embedding the same passage texts in one `Embedder.embed` call ("raw"). Overhead = ingestion time / raw embedding time - 1; target under 25 %.',
        "| corpus | articles | passages | ingestion s | articles/s | passages/s | raw embed passages/s | overhead | embed / write / inventory / delete s | load + split s | one-off imports + model load s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ),
    "Query latency": (
        "`Retriever.retrieve(query, candidates=20)`: BM25 + dense (Chroma HNSW) fused by reciprocal rank, then the cross-encoder reranks all 20 candidates (a text that occurs twice among them is scored once: `distinct` column, mean per query). The BM25 index is built once per process (`build` column: reading the passages from the store + building the index) and reused by every query. Target: p95 under 250 ms at 100,000 passages. The synthetic copies of one-sentence passages are exact repeats, which real archives have far fewer of, so each query is timed a second time, right after the first (its BM25 and dense search then run warm), with every candidate scored (`Retriever.retrieve(..., skip_repeats=False)`, same candidates): that column is what an archive without repeats costs, and the one the target is judged on.",
        "| corpus | passages | retrieve p50 ms | retrieve p95 ms | BM25 p50/p95 | dense p50/p95 | rerank p50/p95 | distinct | retrieve, every candidate scored, p50 / p95 ms | store read + BM25 build s | full answer p50/p95 ms |",
        "|---|---:|---:|---:|---|---|---|---:|---|---|---|",
    ),
    "Cold start": (
        '`qa ask --json "…"` from process start to exit (a new process each run), and the phases of the same path measured inside a worker process. The ONNX query encoder is loaded with the engine, so its load time is in the open-store column and its own column is the first question\'s embedding.',
        "| corpus | `qa ask` wall s | interpreter | imports | open store | query encoder | reranker | BM25 build | first answer | process to first answer s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ),
}


def _table_start(title: str) -> list[str]:
    """A section's title, the paragraph saying what its table measures, and the table's head (``TABLES``)."""
    intro, header, align = TABLES[title]
    return [f"## {title}", "", intro, "", header, align]


def _header(results: dict, summary: dict) -> list[str]:
    """Title, command, date, machine and load average."""
    lines: list[str] = []
    m = results["machine"]
    lines += [
        "# Benchmarks",
        "",
        "Written by `qa bench speed` (`make bench`); rerun it to refresh every figure on this page.",
        "",
        f"- command: `{results['command'].strip()}`",
        f"- date: {results['started']}; took "
        f"{(results.get('seconds', 0) + results.get('seconds_earlier', 0)) / 60:.0f} min",
        f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}, {m['platform']}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        f"- load average (1/5/15 min) at start {results.get('loadavg_start')}, at end {results.get('loadavg_end')}:"
        " other work on the same cores slows everything down, so compare figures from one run of the bench",
        "- sizes measured at (load average then): "
        + (
            "; ".join(
                f"{size_label(summary[k])} {e['measured_at'][11:16]} {e.get('loadavg', '')}"
                for k, e in results["sizes"].items()
                if k in summary and e.get("measured_at")
            )
            or "not recorded"
        ),
        f"- every figure is the median of {results['runs']} runs (each in a fresh process) unless said otherwise;"
        f" latency percentiles are over {results.get('queries', '?')} queries per run",
        "",
    ]
    if results.get("quick"):
        lines += ["**Quick mode**: a Reuters subset, a smaller synthetic collection and fewer runs.", ""]
    return lines


def _ingestion(ingest_rows: list[dict]) -> list[str]:
    """Fresh ingestion against the model alone, and unchanged re-ingestion."""
    lines = _table_start("Ingestion")
    for r in ingest_rows:
        overhead = r.get("overhead")
        lines.append(
            f"| {size_label(r)} | {r['articles']:,} | {r['passages']:,} | {fmt_s(r['ingest_s'])} "
            f"| {fmt_s(r['articles_per_s'])} | {fmt_s(r['passages_per_s'])} | {fmt_s(r.get('raw_per_s'))} "
            f"| {'-' if overhead is None else f'{overhead * 100:+.0f} %'}{fmt_target(overhead, 0.25)} "
            f"| {fmt_s(r['ingest_embed'])} / {fmt_s(r['ingest_write'])} / {fmt_s(r['ingest_inventory'], 2)} / "
            f"{fmt_s(r['ingest_delete'], 2)} | {fmt_s(r['ingest_load'] + r['ingest_split'], 2)} "
            f"| {fmt_s(r['ingest_imports'])} + {fmt_s(r['ingest_model_load'])} | {fmt_mb(r['ingest_rss_mb'])} |"
        )
    lines += [
        "",
        "Unchanged re-ingestion (hash check only; target under 10 s):",
        "",
        "| corpus | `ingest()` in-process s | `qa ingest` wall s (process start to exit) | `qa ingest` peak RSS MB "
        "| what it printed |",
        "|---|---:|---:|---:|---|",
    ]
    for r in ingest_rows:
        printed = " ".join(r["reingest_summary"]).replace("|", "/")
        lines.append(
            f"| {size_label(r)} | {fmt_s(r['reingest_s'], 2)} | {fmt_s(r['reingest_cli_s'])}"
            f"{fmt_target(r['reingest_cli_s'], 10)} | {fmt_mb(r['reingest_rss_mb'])} | {printed} |"
        )
    lines.append("")
    for r in ingest_rows:
        if r.get("skipped"):
            lines.append(f"- {size_label(r)}: {len(r['skipped'])} files skipped: {r['skipped'][:3]}")
    lines.append("")
    return lines


def _query_latency(serve_rows: list[dict], chart_name: str) -> list[str]:
    """``Retriever.retrieve`` latency per size, with its parts."""
    lines = _table_start("Query latency")
    for r in serve_rows:
        distinct = f"{r['distinct_mean']:.1f}" if r.get("distinct_mean") is not None else "–"
        every = (
            f"{fmt_ms(r['every_p50'])} / {fmt_ms(r['every_p95'])}{fmt_target(r['every_p95'], 0.25)}"
            if r.get("every_p50") is not None
            else "–"
        )
        lines.append(
            f"| {size_label(r)} | {r['passages']:,} | {fmt_ms(r['total_p50'])} | {fmt_ms(r['total_p95'])}"
            f"{fmt_target(r['total_p95'], 0.25)} | {fmt_ms(r['keyword_p50'])} / {fmt_ms(r['keyword_p95'])} "
            f"| {fmt_ms(r['dense_p50'])} / {fmt_ms(r['dense_p95'])} | {fmt_ms(r['rerank_p50'])} / {fmt_ms(r['rerank_p95'])} "
            f"| {distinct} | {every} "
            f"| {fmt_s(r['store_read'])} + {fmt_s(r['bm25_only'])} | {fmt_ms(r['answer_p50'])} / {fmt_ms(r['answer_p95'])} |"
        )
    rebuilt = [size_label(r) for r in serve_rows if r.get("rebuilt")]
    lines += [
        "",
        f"![latency vs corpus size]({chart_name})",
        "",
        "BM25 rebuilt during the queries: " + (", ".join(rebuilt) if rebuilt else "never (as intended)") + ".",
        "",
    ]
    return lines


def _rerank_options(serve_rows: list[dict]) -> list[str]:
    """What the reranker costs, and cheaper settings (measured on one size)."""
    lines: list[str] = []
    options = next((r["rerank_options"] for r in serve_rows if r.get("rerank_options")), None)
    if options:
        lines += [
            "### What the reranker costs, and cheaper settings",
            "",
            "The reranker alone on the same queries' fused candidates (Reuters passages); top-1 agreement is "
            "the share of queries whose best passage is the same as with the current setting.",
            "",
            "| setting | rerank p50 ms | rerank p95 ms | top-1 agreement |",
            "|---|---:|---:|---:|",
        ]
        for name, o in options.items():
            lines.append(f"| {name} | {fmt_ms(o['p50'])} | {fmt_ms(o['p95'])} | {o['top1_agreement'] * 100:.0f} % |")
        lines.append("")
    return lines


def _cold_start(serve_rows: list[dict]) -> list[str]:
    """``qa ask`` from process start, and its phases."""
    lines = _table_start("Cold start")
    for r in serve_rows:
        p = r["phases"]
        lines.append(
            f"| {size_label(r)} | {fmt_s(r.get('cold_cli_s'))} | {fmt_s(p['interpreter'])} | {fmt_s(p['imports'])} "
            f"| {fmt_s(p['open_store'])} | {fmt_s(p['embed_model'])} {encoder_kind(p)} | {fmt_s(p['rerank_model'])} "
            f"| {fmt_s(p['bm25_build'])} | {fmt_s(p['first_answer'])} | {fmt_s(p['process_to_first_answer'])} |"
        )
    return lines


def _memory(serve_rows: list[dict]) -> list[str]:
    """Peak RSS of each process measured."""
    lines = [
        "",
        "## Memory (peak RSS, MB)",
        "",
        "| corpus | fresh ingestion | `qa ingest` unchanged | serving (latency worker) | `qa ask` | Chroma server |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in serve_rows:
        lines.append(
            f"| {size_label(r)} | {fmt_mb(r.get('ingest_rss_mb'))} | {fmt_mb(r.get('reingest_rss_mb'))} "
            f"| {fmt_mb(r.get('serve_rss_mb'))} | {fmt_mb(r.get('cold_cli_rss_mb'))} | {fmt_mb(r.get('server_peak_rss_mb'))} |"
        )
    lines.append("")
    return lines


def _answers(summary: dict, serve_rows: list[dict]) -> list[str]:
    """Answers over the Reuters eval set, item by item."""
    lines: list[str] = []
    evaluated = [(r["key"], r["eval"]) for r in serve_rows if r.get("eval")]
    if evaluated:
        lines += [
            "## Answers over Reuters (eval/reuters.jsonl)",
            "",
            "`Engine(settings).answer(question, history)`; correct = not abstained, a gold article cited and an "
            "accepted answer string in the text (unanswerable: abstained). At 100k a synthetic copy competes with "
            "each original: such citations are counted separately, not as correct.",
            "",
        ]
        for key, items in evaluated:
            right = sum(i["correct"] for i in items)
            lines += [
                f"**{size_label(summary[key])}: {right}/{len(items)} correct**",
                "",
                "| id | question | correct | cited | answer |",
                "|---|---|---|---|---|",
            ]
            for i in items:
                text = i["text"].replace("|", "/")
                text = text if len(text) <= 140 else text[:137] + "…"
                mark = "yes" if i["correct"] else ("copy" if i.get("cited_synthetic_copy") else "no")
                cited = ", ".join(dict.fromkeys(i["cited"])) or "(abstained)"
                lines.append(f"| {i['id']} | {i['question']} | {mark} | {cited} | {text} |")
            lines.append("")

    return lines


def _synthetic(summary: dict) -> list[str]:
    """How the 100k collection was made."""
    lines: list[str] = []
    synthetic = summary.get("100k", {}).get("synthetic")
    if synthetic:
        multi = synthetic.get("mean_cos_shuffled_multi_sentence")
        lines += [
            "## How the 100k collection was made",
            "",
            f"Embedding 100,000 passages with the real model would take well over an hour on this machine, so "
            f"the collection is {synthetic['real_passages']:,} real Reuters passages (their stored embeddings, "
            f"copied from the Reuters index) plus synthetic copies up to {synthetic['total']:,} passages "
            f"({synthetic['copies']} rounds over the {synthetic['real_articles']:,} articles, the last one partial):",
            "",
            "- each synthetic copy of an article has the id `synthetic/cNN/<original id>` and `synthetic: true` in "
            "its metadata; its passages are the original passages with their sentences shuffled "
            f"(`index.sentences.sentence_spans`, numpy seed {synthetic['seed']}); BM25 indexes that shuffled text;",
            f"- its vectors are the original passage vectors plus Gaussian noise (sigma {synthetic['sigma']:.4f} per "
            "dimension), renormalised. Sigma was calibrated: "
            f"{synthetic['calibration_sample']} shuffled passages were really embedded, their mean cosine to the "
            f"original was {synthetic['mean_cos_shuffled']:.3f}"
            + (
                f" ({multi:.3f} over the {synthetic['multi_sentence_share'] * 100:.0f} % with two or more sentences)"
                if multi is not None
                else ""
            )
            + f"; sigma makes E[cos(original, copy)] the same (measured on noisy copies: "
            f"{synthetic['mean_cos_noisy_check']:.3f});",
            f"- written with `PassageStore.add` (the same llama-index/Chroma path as ingestion) in batches of 2,000: "
            f"{fmt_s(synthetic['write_seconds'])} s of writes ({fmt_s(synthetic.get('write_passages_per_s'), 0)} "
            f"passages/s){' (reused from an earlier bench run)' if synthetic.get('reused') else ''}.",
            "",
        ]
    return lines


def _closing(results: dict) -> list[str]:
    """What makes it fast, what is still slow, and how to reproduce the page."""
    lines = [
        "## What makes it fast, and what is still slow",
        "",
        "- Ingestion reads the store's metadata once (`PassageStore.inventory`) to decide what is unchanged, new, "
        "changed or removed, then deletes superseded and removed passages by id in batched calls; an unchanged "
        "corpus costs one metadata pass plus hashing. Passages are embedded 256 at a time and each batch is "
        "written to Chroma in one call.",
        "- The answer path never imports llama-index: `PassageStore.search` queries the Chroma collection "
        "directly (same fields, same exp(-distance) similarity as llama-index's `ChromaVectorStore.query`).",
        "- `PassageStore.passages()` (what BM25 is built from) lists the ids and reads from Chroma only the "
        "passages missing from an id-keyed cache file in the index folder, so a restart over an unchanged "
        "store does not read every document back.",
        "- BM25 postings are flat numpy arrays with precomputed weights; a query is a few slices and a "
        "`bincount`. The index is built once per process and reused by every query.",
        "- The answer path never imports torch either: questions are embedded by an ONNX export of the same "
        "all-MiniLM-L6-v2 (`index/query_encoder.py`; `qa ingest` writes it once per data folder, the vectors "
        "agree with sentence-transformers to 1e-5), so a cold start loads two small onnxruntime sessions "
        "instead of torch, transformers, scikit-learn and scipy.",
        "- The reranker scores one candidate per run, on as many single-threaded runs side by side as there "
        "are threads, longest first: no padding, both cores busy, and a passage's score no longer depends on "
        "which passages it was batched with (the rerank-options table above compares it with batches of 8 "
        "on one 2-thread run). A text that occurs more than once among the candidates is scored once, which "
        "is exact for the same reason; it is what makes the synthetic 100k rerank column short (its copies "
        "of one-sentence passages are exact repeats), hence the every-candidate column beside it.",
        "- Still slow: the cross-encoder (rerank column) is most of every query, and 20 candidates are about "
        "1,500-2,500 tokens. At 100,000 passages the first "
        "process also reads every passage from Chroma once to build BM25 (the cold-start BM25 column); "
        "later processes read the id-keyed cache file and the saved BM25 index (the `bm25s-<collection>` folder) instead.",
        "",
        "## Reproduce",
        "",
        "```",
        "make bench                                   # = qa bench speed (all sizes, 3 runs)",
        "qa bench speed --sizes seed,reuters,100k,server --runs 3",
        "qa bench speed --quick                       # a few minutes",
        "qa import reuters                            # data/reuters/corpus (apt-get download weka, dpkg-deb -x)",
        "QA_CORPUS_DIR=data/reuters/corpus QA_INDEX_DIR=data/reuters/index qa ingest",
        'QA_INDEX_DIR=data/reuters/index qa ask "Who is the chairman of Keidanren?"',
        "```",
        "",
        f"Raw results: `{'data/bench/results-quick.json' if results.get('quick') else 'data/bench/results.json'}`"
        " (git-ignored).",
        "",
    ]
    return lines


def write_report(results: dict, out: Path, chart_path: Path) -> None:
    summary = summarize(results)
    chart(summary, chart_path)
    try:
        chart_name = os.path.relpath(chart_path, out.parent)
    except ValueError:
        chart_name = str(chart_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(results, summary, chart_name) + kept_by_hand(out))
    say(f"wrote {out} and {chart_path}")


BY_HAND = "<!-- measured by hand: `make bench` keeps what follows -->"


def kept_by_hand(out: Path) -> str:
    """The sections after ``BY_HAND`` in the page being replaced (figures this bench does not measure)."""
    try:
        text = out.read_text(encoding="utf-8")
    except OSError:
        return ""
    at = text.find(BY_HAND)
    return "\n" + text[at:] if at >= 0 else ""
