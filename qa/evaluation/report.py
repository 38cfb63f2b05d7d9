"""What ``qa eval`` shows of a run: the console table, the Markdown page, the latency chart, and the files they
are written to. ``qa bench squad`` prints its latency with the same table rows and chart."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from qa.evaluation.metrics import METRICS, STAGES
from qa.evaluation.schema import ABSTAIN_CATEGORIES, CATEGORIES, a_or_an
from qa.figures import percentile

DEFAULT_OUT = Path(__file__).resolve().parent.parent.parent / "eval" / "reports"


def fmt(metric: dict | None, with_n: bool = False) -> str:
    if not metric or metric.get("value") is None:
        return f"n/a ({metric['n'] if metric else 0})"
    text = f"{metric['value']:.3f}"
    return f"{text} ({metric['n']})" if with_n else text


def fmt_seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_table(summary: dict) -> str:
    """The compact console table: metrics as rows, overall (with its item count) and categories as columns."""
    overall, by_category = summary["overall"], summary["by_category"]
    cats = list(by_category)
    widths = [24, 7, 5] + [max(9, len(c)) for c in cats]

    def row(label: str, cells: list[str]) -> str:
        cells = cells + [""] * (len(widths) - 1 - len(cells))
        return "  ".join([label.ljust(widths[0]), *(c.rjust(w) for c, w in zip(cells, widths[1:], strict=True))])

    lines = [row("metric", ["overall", "n", *cats]), "  ".join("-" * w for w in widths)]

    lines.append(row("items", [str(overall["items"]), "", *(str(by_category[c]["items"]) for c in cats)]))
    lines.append(
        row("failed (exceptions)", [str(overall["failed"]), "", *(str(by_category[c]["failed"]) for c in cats)])
    )
    for key, label, _ in METRICS:
        m = overall["metrics"][key]
        lines.append(row(label, [fmt(m), str(m["n"]), *(fmt(by_category[c]["metrics"][key]) for c in cats)]))
    for q in ("p50", "p95"):
        lat = overall["latency"]["total"]
        cells = [fmt_seconds(lat[q]), str(lat["n"])]
        cells += [fmt_seconds(by_category[c]["latency"]["total"][q]) for c in cats]
        lines.append(row(f"total latency {q} (s)", cells))
    lines.append("")
    lines += stage_latency_lines(overall["latency"], "latency per stage (s)", label_width=24, sep="  ", width=7)
    return "\n".join(lines)


def stage_latency_lines(latency: dict, title: str, label_width: int, sep: str, width: int) -> list[str]:
    """The plain-text p50/p95/n table of per-stage latency (``qa eval`` and ``qa bench squad`` print it)."""
    lines = [f"{title:<{label_width}}{sep}{'p50':>{width}}  {'p95':>{width}}  {'n':>5}"]
    for stage in STAGES:
        lat = latency[stage]
        p50, p95 = fmt_seconds(lat["p50"]), fmt_seconds(lat["p95"])
        lines.append(f"{'  ' + stage:<{label_width}}{sep}{p50:>{width}}  {p95:>{width}}  {lat['n']:>5}")
    return lines


def latency_chart(records: list[dict], path: Path, title: str = "Latency per stage") -> Path:
    """Box plots of per-stage latency (whiskers at p5/p95) and total p50/p95 per category."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timed = [r for r in records if r.get("answer") and not r.get("error")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    data = [[r["answer"]["timings"].get(s, 0.0) for r in timed] for s in STAGES]
    if timed:
        labels = [
            f"{stage}\np50 {percentile(values, 50):.2f} s\np95 {percentile(values, 95):.2f} s"
            for stage, values in zip(STAGES, data, strict=True)
        ]
        left.boxplot(data, whis=(5, 95), showfliers=True, tick_labels=labels)
        left.tick_params(axis="x", labelsize=8)
    else:
        left.text(0.5, 0.5, "no timed items", ha="center", va="center", transform=left.transAxes)
    left.set_ylabel("seconds")
    left.set_title(f"{title} ({len(timed)} items; whiskers p5-p95)", fontsize=9)
    present = {r["category"] for r in timed}
    cats = [c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES)) or ["(none)"]
    p50s, p95s = [], []
    for c in cats:
        values = [r["answer"]["timings"].get("total", 0.0) for r in timed if r["category"] == c]
        p50s.append(percentile(values, 50) or 0.0)
        p95s.append(percentile(values, 95) or 0.0)
    xs = range(len(cats))
    right.bar([x - 0.2 for x in xs], p50s, width=0.4, label="p50")
    right.bar([x + 0.2 for x in xs], p95s, width=0.4, label="p95")
    right.set_xticks(list(xs), cats, rotation=30, ha="right", fontsize=8)
    right.set_title("total latency per category", fontsize=9)
    right.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _md_cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def short(text: str, n: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def format_markdown(report: dict, chart_name: str) -> str:
    meta, summary = report["meta"], report["summary"]
    overall, by_category = summary["overall"], summary["by_category"]
    cats = list(by_category)
    out = [
        f"# Evaluation: {Path(meta['eval_set']).name}",
        "",
        f"- eval set: `{meta['eval_set']}`, {overall['items']} items, {overall['failed']} failed",
        f"- generator: `{meta['generator']}`; index `{meta['index_dir']}` (collection `{meta['collection']}`)",
        f"- started {meta['started']}, {meta['seconds']:.1f} s",
        "",
        "Values are means over the eligible items (count in brackets); n/a = no eligible item.",
        "",
        "## Overall",
        "",
        "| metric | value | n |",
        "|---|---:|---:|",
    ]
    for key, label, _ in METRICS:
        m = overall["metrics"][key]
        out.append(f"| {label} | {fmt(m)} | {m['n']} |")
    out += ["", "## Per category", "", "| metric | " + " | ".join(cats) + " |", "|---|" + "---:|" * len(cats)]
    out.append("| items | " + " | ".join(str(by_category[c]["items"]) for c in cats) + " |")
    for key, label, _ in METRICS:
        out.append(f"| {label} | " + " | ".join(fmt(by_category[c]["metrics"][key], True) for c in cats) + " |")
    out += ["", "## Latency (seconds)", "", "| stage | p50 | p95 | n |", "|---|---:|---:|---:|"]
    for stage in STAGES:
        lat = overall["latency"][stage]
        out.append(f"| {stage} | {fmt_seconds(lat['p50'])} | {fmt_seconds(lat['p95'])} | {lat['n']} |")
    out += ["", "| category | total p50 | total p95 | n |", "|---|---:|---:|---:|"]
    for c in cats:
        lat = by_category[c]["latency"]["total"]
        out.append(f"| {c} | {fmt_seconds(lat['p50'])} | {fmt_seconds(lat['p95'])} | {lat['n']} |")
    out += ["", f"![latency per stage]({chart_name})", ""]
    out += ["## Failed items (exceptions)", ""]
    if report["failed"]:
        out += [f"- `{f['id']}`: {_md_cell(f['error'])}" for f in report["failed"]]
    else:
        out.append("None.")
    out += [
        "",
        "## Wrong items",
        "",
        "| id | category | question | answer | article rank | why |",
        "|---|---|---|---|---:|---|",
    ]
    wrong = 0
    for r in report["items"]:
        if r["scores"]["accuracy"]:
            continue
        wrong += 1
        a = r["answer"] or {}
        if r["error"]:
            why = "failed"
        elif r["category"] in ABSTAIN_CATEGORIES:
            why = f"answered {a_or_an(r['category'])} {r['category']} question"
        elif r["scores"].get("abstention_accuracy") is not None:
            why = "answered a question neither language answers"
        elif a.get("abstained"):
            why = "abstained"
        else:
            why = "no alias matched"
        rank = r["retrieval"]["article_rank"]
        out.append(
            f"| {r['id']} | {r['category']} | {_md_cell(short(r['question'], 90))} | "
            f"{_md_cell(short(a.get('text', '') or r['error'], 140))} | {rank if rank else '-'} | {why} |"
        )
    if not wrong:
        out.append("| - | - | every item correct | | | |")
    return "\n".join(out) + "\n"


def write_reports(report: dict, out_dir: Path | str, stem: str | None = None) -> dict[str, Path]:
    """``<stem>.json`` (every item), ``<stem>.md`` and ``<stem>-latency.png`` in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if stem is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        stem = f"{Path(report['meta']['eval_set']).stem}-{report['meta']['generator']}-{stamp}"
    paths = {"json": out_dir / f"{stem}.json", "md": out_dir / f"{stem}.md", "png": out_dir / f"{stem}-latency.png"}
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    latency_chart(report["items"], paths["png"])
    paths["md"].write_text(format_markdown(report, paths["png"].name), encoding="utf-8")
    return paths
