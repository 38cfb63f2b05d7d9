"""``qa eval --compare OLD NEW``: what changed between two runs' JSON reports, item by item (correctness and
abstention flips, gold-article rank) and then metric by metric."""

from __future__ import annotations

import json
from pathlib import Path

from index.errors import UserError
from qa.evaluation.metrics import METRICS, STAGES, summarize_all
from qa.evaluation.report import fmt, fmt_seconds, short
from qa.evaluation.schema import ABSTAIN_CATEGORIES, CATEGORIES


class ReportError(UserError):
    """A report file that cannot be read for ``--compare``."""


def load_report(path: Path | str) -> dict:
    path = Path(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: no such report file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not a readable JSON report ({exc})") from None
    if not isinstance(report, dict) or not isinstance(report.get("items"), list):
        raise ReportError(f"{path}: not a qa eval report (no 'items' list)")
    for n, item in enumerate(report["items"], start=1):
        if not isinstance(item, dict) or not {"id", "category", "scores"} <= set(item):
            raise ReportError(f"{path}: item {n} lacks 'id', 'category' or 'scores'")
    return report


def _delta(old: float | None, new: float | None, higher_better: bool) -> str:
    if old is None or new is None:
        return "n/a"
    d = new - old
    if abs(d) < 5e-4:
        return "="
    better = (d > 0) == higher_better
    return f"{d:+.3f} {'better' if better else 'worse'}"


def compare(old: dict, new: dict) -> str:
    """What changed between two reports: item flips first, then metric and latency deltas."""
    old_items = {r["id"]: r for r in old["items"]}
    new_items = {r["id"]: r for r in new["items"]}
    common = [i for i in new_items if i in old_items]
    out = [f"compared {len(common)} items present in both reports"]
    only_old = [i for i in old_items if i not in new_items]
    only_new = [i for i in new_items if i not in old_items]
    if only_old:
        out.append(f"only in OLD ({len(only_old)}): {', '.join(only_old)}")
    if only_new:
        out.append(f"only in NEW ({len(only_new)}): {', '.join(only_new)}")

    def answer_text(r: dict) -> str:
        return short((r.get("answer") or {}).get("text", "") or f"(failed: {r.get('error', '')})", 100)

    fixed, broken, abst = [], [], []
    for i in common:
        o, n = old_items[i], new_items[i]
        oc, nc = bool(o["scores"].get("accuracy")), bool(n["scores"].get("accuracy"))
        if oc != nc:
            (fixed if nc else broken).append(
                f"  {i} [{n['category']}] {short(n.get('question', ''), 70)}\n"
                f"      old: {answer_text(o)}\n      new: {answer_text(n)}"
            )
        oa, na = bool((o.get("answer") or {}).get("abstained")), bool((n.get("answer") or {}).get("abstained"))
        if oa != na:
            good = (n["category"] in ABSTAIN_CATEGORIES) == na
            abst.append(
                f"  {i} [{n['category']}] {'now abstains' if na else 'now answers'} ({'better' if good else 'worse'})"
            )
    out.append("")
    out.append(f"correctness: {len(fixed)} now right, {len(broken)} now wrong")
    if fixed:
        out.append(" now right:")
        out += fixed
    if broken:
        out.append(" now wrong:")
        out += broken
    out.append(f"abstention flips: {len(abst)}")
    out += abst
    rank_changes = []
    for i in common:
        o, n = old_items[i], new_items[i]
        orank = (o.get("retrieval") or {}).get("article_rank")
        nrank = (n.get("retrieval") or {}).get("article_rank")
        if (orank == 1) != (nrank == 1):
            rank_changes.append(f"  {i}: gold article rank {orank or '-'} -> {nrank or '-'}")
    out.append(f"article hit@1 flips: {len(rank_changes)}")
    out += rank_changes

    old_sum, new_sum = summarize_all([old_items[i] for i in common]), summarize_all([new_items[i] for i in common])
    out.append("")
    out.append(f"{'metric (common items)':<24} {'old':>9} {'new':>9}  delta")
    for key, label, higher in METRICS:
        om, nm = old_sum["overall"]["metrics"][key], new_sum["overall"]["metrics"][key]
        out.append(f"{label:<24} {fmt(om):>9} {fmt(nm):>9}  {_delta(om['value'], nm['value'], higher)}")
    for stage in STAGES:
        ol, nl = old_sum["overall"]["latency"][stage], new_sum["overall"]["latency"][stage]
        for q in ("p50", "p95"):
            out.append(
                f"{f'latency {stage} {q} (s)':<24} {fmt_seconds(ol[q]):>9} {fmt_seconds(nl[q]):>9}  "
                f"{_delta(ol[q], nl[q], False)}"
            )
    changed_cats = []
    for cat in CATEGORIES:
        oc, nc = old_sum["by_category"].get(cat), new_sum["by_category"].get(cat)
        if not oc or not nc:
            continue
        for key, label, higher in METRICS:
            ov, nv = oc["metrics"][key]["value"], nc["metrics"][key]["value"]
            if ov is not None and nv is not None and abs(nv - ov) >= 5e-4:
                changed_cats.append(f"  {cat:<14} {label:<24} {ov:.3f} -> {nv:.3f}  {_delta(ov, nv, higher)}")
    out.append("")
    out.append(f"per-category changes: {len(changed_cats)}")
    out += changed_cats
    return "\n".join(out)


def compare_files(old_path: Path | str, new_path: Path | str) -> str:
    return compare(load_report(old_path), load_report(new_path))
