"""What ``qa bench squad`` shows of a run: the console summary beside the BM25 baseline, the Markdown page, the
latency chart, and the files they are written to."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from qa.bench.squad_data import DATASETS
from qa.bench.squad_metrics import BM25_BASELINE, HIT_AT
from qa.evaluation.metrics import STAGES
from qa.evaluation.report import fmt_seconds, latency_chart, stage_latency_lines

LABELS = {
    **{f"hit@{k}": f"passage hit@{k}" for k in HIT_AT},
    "mrr": "passage MRR (top 20)",
    "em": "exact match (SQuAD)",
    "f1": "token F1 (SQuAD)",
    "in_text": "answer-in-text",
    "cites_gold": "cites gold paragraph",
    "abstained": "abstained (all wrong)",
}


def _value(metric: dict) -> str:
    return f"n/a ({metric['n']})" if metric["value"] is None else f"{100 * metric['value']:.1f}%"


def format_summary(summary: dict) -> str:
    lines = [f"{'metric':<26} {'ours':>8}  {'BM25 baseline':>13}"]
    for key, label in LABELS.items():
        metric = summary["metrics"][key]
        value = _value(metric) if key != "mrr" else ("n/a" if metric["value"] is None else f"{metric['value']:.3f}")
        k = int(key[4:]) if key.startswith("hit@") else None
        baseline = f"{100 * BM25_BASELINE[k]:.0f}%" if k in BM25_BASELINE else ""
        lines.append(f"{label:<26} {value:>8}  {baseline:>13}")
    lines.append("")
    lines += stage_latency_lines(summary["latency"], "latency (s)", label_width=26, sep=" ", width=8)
    return "\n".join(lines)


def format_markdown(report: dict, chart: str) -> str:
    meta, summary = report["meta"], report["summary"]
    out = [
        f"# Benchmark: {meta.get('dataset_name', DATASETS['dev'])} (from bigbench 1.0.0)",
        "",
        f"- {summary['questions']} questions sampled with seed {meta['seed']} from {meta['total_questions']:,};"
        f" corpus of {meta['paragraphs']:,} paragraphs ({meta['passages']} passages), {summary['failed']} failed",
        f"- generator `{meta['generator']}`, started {meta['started']}, {meta['seconds']:.0f} s"
        f" (ingestion {meta['ingest']})",
        "- a hit is a retrieved passage of the question's own paragraph; the retrieved list holds the"
        f" {meta['candidates']} reranked candidates, so hit@20 is the fused dense+BM25 recall",
        "- EM/F1 use SQuAD's official normalization on the short answer (the reader's span); answer-in-text on the"
        " whole answer",
        "",
        "| metric | ours | BM25 baseline (MODELS.md) |",
        "|---|---:|---:|",
    ]
    for key, label in LABELS.items():
        metric = summary["metrics"][key]
        value = _value(metric) if key != "mrr" else ("n/a" if metric["value"] is None else f"{metric['value']:.3f}")
        k = int(key[4:]) if key.startswith("hit@") else None
        out.append(f"| {label} | {value} | {f'{100 * BM25_BASELINE[k]:.0f}%' if k in BM25_BASELINE else ''} |")
    out += ["", "| stage | p50 (s) | p95 (s) | n |", "|---|---:|---:|---:|"]
    for stage in STAGES:
        lat = summary["latency"][stage]
        out.append(f"| {stage} | {fmt_seconds(lat['p50'])} | {fmt_seconds(lat['p95'])} | {lat['n']} |")
    out += ["", f"![latency]({chart})", "", "## Misses (gold paragraph not in the top 5)", ""]
    misses = [r for r in report["items"] if not r["rank"] or r["rank"] > 5]
    for r in misses[:50]:
        out.append(f"- `{r['id']}` {r['question']} (gold {r['paragraph_id']}, rank {r['rank'] or '-'})")
    if not misses:
        out.append("None.")
    if report["failed"]:
        out += ["", "## Failed", ""] + [f"- `{f['id']}`: {f['error']}" for f in report["failed"]]
    return "\n".join(out) + "\n"


def write_reports(report: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = f"squad{'' if report['meta']['dataset'] == 'dev' else '-' + report['meta']['dataset']}-{report['summary']['questions']}-{report['meta']['generator']}-{stamp}"
    paths = {"json": out_dir / f"{stem}.json", "md": out_dir / f"{stem}.md", "png": out_dir / f"{stem}-latency.png"}
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    chart_records = [{**r, "category": "squad"} for r in report["items"]]
    latency_chart(chart_records, paths["png"], title="SQuAD latency per stage")
    paths["md"].write_text(format_markdown(report, paths["png"].name), encoding="utf-8")
    return paths
