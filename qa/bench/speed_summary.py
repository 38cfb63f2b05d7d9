"""From ``qa bench speed``'s raw results to one row of figures per size (medians over runs, percentiles over
queries), the number formats of its tables, and the latency-vs-size chart."""

from __future__ import annotations

from pathlib import Path

from qa.figures import median, percentile

LABELS = {"seed": "seed", "reuters": "Reuters-21578", "100k": "synthetic", "server": "seed, Chroma server"}


def size_label(row: dict) -> str:
    """A size's name for tables: 'Reuters-21578 (2,158 articles)', 'synthetic 100k', ..."""
    key = row["key"]
    if key == "100k":
        return f"synthetic {row.get('passages', 0) / 1000:.0f}k"
    if key in ("seed", "reuters") and row.get("articles"):
        return f"{LABELS[key]} ({row['articles']:,} articles)"
    return LABELS[key]


def fmt_ms(seconds) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def fmt_s(seconds, digits: int = 1) -> str:
    return "-" if seconds is None else f"{seconds:.{digits}f}"


def fmt_mb(value) -> str:
    return "-" if value is None else f"{value:.0f}"


def summarize(results: dict) -> dict:
    """Medians and percentiles per size, from the raw results."""
    out = {}
    for key, entry in results["sizes"].items():
        row: dict = {"key": key}
        ingestion = entry.get("ingestion")
        if ingestion:
            fresh = ingestion["fresh"]
            row["articles"] = fresh[0]["articles"]
            row["passages"] = fresh[0]["passages"]
            row["ingest_s"] = median([r["seconds"] for r in fresh])
            row["articles_per_s"] = row["articles"] / row["ingest_s"] if row["ingest_s"] else None
            row["passages_per_s"] = row["passages"] / row["ingest_s"] if row["ingest_s"] else None
            for phase in ("embed", "write", "inventory", "delete", "load", "split", "model_load", "imports"):
                row[f"ingest_{phase}"] = median([r[phase] for r in fresh])
            row["in_run_embed_per_s"] = median([r["embedded"] / r["embed"] for r in fresh if r["embed"]])
            row["ingest_rss_mb"] = median([r["maxrss_mb"] for r in fresh])
            row["ingest_wall"] = median([r["wall"] for r in fresh])
            if ingestion["raw"]:
                row["raw_s"] = median([r["seconds"] for r in ingestion["raw"]])
                row["raw_per_s"] = median([r["passages_per_s"] for r in ingestion["raw"]])
                row["overhead"] = row["ingest_s"] / row["raw_s"] - 1
                row["overhead_in_run"] = median([r["seconds"] / r["embed"] - 1 for r in fresh if r["embed"]])
            row["reingest_s"] = median([r["seconds"] for r in ingestion["reingest"]])
            row["reingest_cli_s"] = median([r["wall"] for r in ingestion["reingest_cli"]])
            row["reingest_rss_mb"] = median([r["maxrss_mb"] for r in ingestion["reingest_cli"]])
            row["reingest_summary"] = ingestion["reingest_cli"][-1]["summary"]
            row["skipped"] = fresh[-1]["skipped"]
        serve = entry.get("serve")
        if serve:
            row["passages"] = serve["passages"]
            row["queries"] = len(serve["runs"][0]) if serve["runs"] else 0
            row["runs"] = len(serve["runs"])
            for part in ("total", "every", "keyword", "dense", "fuse", "rerank"):
                for q in (50, 95):
                    values = [[s[part] for s in run if s.get(part) is not None] for run in serve["runs"]]
                    row[f"{part}_p{q}"] = median([percentile(v, q) for v in values if v]) if any(values) else None
            distinct = [s["distinct"] for run in serve["runs"] for s in run if s.get("distinct") is not None]
            row["distinct_mean"] = sum(distinct) / len(distinct) if distinct else None
            row["answer_p50"] = percentile(serve["answer_seconds"], 50)
            row["answer_p95"] = percentile(serve["answer_seconds"], 95)
            row["phases"] = serve["phases"]
            row["store_read"] = serve["store_read"]
            row["bm25_only"] = serve["bm25_only"]
            row["serve_rss_mb"] = serve["serving_rss_mb"]
            row["rebuilt"] = serve["keyword_rebuilt_during_queries"]
            row["eval"] = serve["eval"]
            row["rerank_options"] = serve.get("rerank_options")
            row["first_cites"] = serve["first_cites"]
        if entry.get("cold_cli"):
            row["cold_cli_s"] = median([r["wall"] for r in entry["cold_cli"]])
            row["cold_cli_rss_mb"] = median([r["maxrss_mb"] for r in entry["cold_cli"]])
            row["cold_cli_cited"] = entry["cold_cli"][-1].get("cited", [])
        row["synthetic"] = entry.get("synthetic")
        row["server_peak_rss_mb"] = entry.get("server_peak_rss_mb")
        out[key] = row
    return out


def chart(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in ("seed", "reuters", "100k") if k in summary and summary[k].get("total_p50") is not None]
    if not keys:
        return
    xs = [summary[k]["passages"] for k in keys]
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    styles = [
        ("every_p95", "retrieve p95, every candidate scored", "-", "x"),
        ("total_p95", "retrieve p95 (total)", "-", "o"),
        ("total_p50", "retrieve p50 (total)", "-", "s"),
        ("rerank_p50", "rerank p50", "--", "^"),
        ("dense_p50", "dense p50", ":", "v"),
        ("keyword_p50", "BM25 p50", ":", "d"),
    ]
    for field, label, line, marker in styles:
        if any(summary[k].get(field) is None for k in keys):
            continue  # results saved before the field existed
        ys = [summary[k][field] * 1000 for k in keys]
        ax.plot(xs, ys, line, marker=marker, label=label)
    ax.axhline(250, color="grey", linewidth=0.8)
    ax.text(xs[0], 255, "250 ms target (p95)", color="grey", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("passages in the index (log scale)")
    ax.set_ylabel("milliseconds")
    ax.set_title("Retriever.retrieve latency vs corpus size (20 candidates reranked)")
    for k, x in zip(keys, xs, strict=True):
        ax.annotate(size_label(summary[k]).split(" (")[0], (x, summary[k]["total_p95"] * 1000), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=8)  # fmt: skip
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def encoder_kind(phases: dict) -> str:
    kind = phases.get("query_encoder")
    return {"QueryEncoder": "(ONNX)", "Embedder": "(torch)"}.get(kind, "")


def fmt_target(value, limit, below: bool = True) -> str:
    if value is None:
        return ""
    return " ✓" if (value < limit if below else value > limit) else " ✗"
