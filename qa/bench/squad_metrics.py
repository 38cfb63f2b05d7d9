"""How ``qa bench squad`` scores an answer: SQuAD v1.1's official normalization, exact match and token F1 against
the gold spans, answer-in-text, and the summary over the sampled questions (passage hit rates, MRR, latency)."""

from __future__ import annotations

import re
import string

from qa.evaluation.metrics import STAGES
from qa.figures import overlap_f1, percentile

HIT_AT = (1, 5, 10, 20)
BM25_BASELINE = {1: 0.77, 5: 0.92, 20: 0.96}  # /work/shared/MODELS.md: plain BM25 over the paragraphs


def squad_normalize(text: str) -> str:
    """SQuAD v1.1's official answer normalization: lower, drop punctuation, articles, extra spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


_PUNCTUATION = frozenset(string.punctuation)


def exact_match(prediction: str, golds: tuple[str, ...]) -> float:
    return float(any(squad_normalize(prediction) == squad_normalize(g) for g in golds))


def squad_f1(prediction: str, gold: str) -> float:
    return overlap_f1(squad_normalize(prediction).split(), squad_normalize(gold).split())


def max_f1(prediction: str, golds: tuple[str, ...]) -> float:
    return max((squad_f1(prediction, g) for g in golds), default=0.0)


def answer_in_text(prediction: str, golds: tuple[str, ...]) -> float:
    """A normalized gold span occurs in the normalized answer, on word boundaries."""
    text = f" {squad_normalize(prediction)} "
    return float(any(n and f" {n} " in text for n in map(squad_normalize, golds)))


def summarize(records: list[dict]) -> dict:
    n = len(records)

    def mean(values: list[float]) -> dict:
        return {"value": sum(values) / len(values) if values else None, "n": len(values)}

    metrics = {f"hit@{k}": mean([float(r["rank"] is not None and r["rank"] <= k) for r in records]) for k in HIT_AT}
    metrics["mrr"] = mean([1.0 / r["rank"] if r["rank"] else 0.0 for r in records])
    for key in ("em", "f1", "in_text", "cites_gold"):
        metrics[key] = mean([r[key] for r in records])
    metrics["abstained"] = mean([float(r["abstained"]) for r in records])
    timed = [r["answer"]["timings"] for r in records if r["answer"] and not r["error"]]
    latency = {}
    for stage in STAGES:
        values = [t[stage] for t in timed if stage in t]
        latency[stage] = {"p50": percentile(values, 50), "p95": percentile(values, 95), "n": len(values)}
    return {"questions": n, "failed": sum(1 for r in records if r["error"]), "metrics": metrics, "latency": latency}
