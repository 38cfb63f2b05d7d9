"""How ``qa eval`` scores an answer against its item, and how the scores add up over a set.

Metrics (``summarize``) per category and overall; every metric is ``{"value": float | None, "n": int}``,
``None`` (printed "n/a") only when no item is eligible, never NaN. An item whose answer raised counts as
wrong in every metric it is eligible for and is listed in the report.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

from index.patterns import CITATION_MARKER, CITATION_MARKERS
from qa.evaluation.schema import CATEGORIES, EvalItem
from qa.figures import overlap_f1, percentile

STAGES = ("retrieve", "rerank", "generate", "total")
HIT_AT = (1, 5, 10)

# (key, label, higher is better)
METRICS: tuple[tuple[str, str, bool], ...] = (
    ("accuracy", "accuracy (all items)", True),
    ("answer_correct", "answer correct", True),
    ("answer_f1", "answer token F1", True),
    *((f"article_hit@{k}", f"article hit@{k}", True) for k in HIT_AT),
    ("article_mrr", "article MRR", True),
    *((f"passage_hit@{k}", f"passage hit@{k}", True) for k in HIT_AT),
    ("passage_mrr", "passage MRR", True),
    ("citation_precision", "citation precision", True),
    ("citation_recall", "citation recall", True),
    ("faithfulness", "faithfulness", True),
    ("abstention_accuracy", "abstention accuracy", True),
    ("false_abstention_rate", "false abstention rate", False),
)


def normalize(text: str) -> str:
    """Lowercase, punctuation and symbols to spaces, spaces collapsed; ``[n]`` citation markers removed."""
    text = unicodedata.normalize("NFKC", CITATION_MARKER.sub(" ", text)).casefold()
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)
    return " ".join(text.split())


def alias_in(alias: str, text: str) -> bool:
    """The normalized alias occurs in the normalized text, on word boundaries ("1" is not in "170")."""
    needle = normalize(alias)
    return bool(needle) and f" {needle} " in f" {normalize(text)} "


def answer_matches(text: str, answers: Iterable[str], all_of: Iterable[Iterable[str]] = ()) -> bool:
    """One of ``answers`` matches (if any are given) and one alias of every ``all_of`` group matches."""
    answers = list(answers)
    groups = [list(g) for g in all_of]
    if not answers and not groups:
        return False
    if answers and not any(alias_in(a, text) for a in answers):
        return False
    return all(any(alias_in(a, text) for a in group) for group in groups)


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize(prediction).split(), normalize(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    return overlap_f1(pred, ref)


def best_f1(text: str, answers: Iterable[str], all_of: Iterable[Iterable[str]] = ()) -> float:
    """Token F1 against the best alias; an ``all_of`` answer is scored against one alias per group joined
    (per group, the alias sharing most tokens with the text)."""
    references = list(answers)
    groups = [list(g) for g in all_of]
    if groups:
        tokens = set(normalize(text).split())
        chosen = [max(g, key=lambda a: len(tokens & set(normalize(a).split()))) for g in groups]
        references.append(" ".join(chosen))
    return max((token_f1(text, r) for r in references), default=0.0)


def citation_precision(cited: list[str], gold: Iterable[str]) -> float | None:
    """Share of citations whose article is a gold article; ``None`` without citations."""
    if not cited:
        return None
    gold = set(gold)
    return sum(a in gold for a in cited) / len(cited)


def citation_recall(cited: list[str], gold: Iterable[str]) -> float | None:
    """Share of gold articles cited at least once; ``None`` without gold articles."""
    gold = set(gold)
    if not gold:
        return None
    return len(gold & set(cited)) / len(gold)


def answer_sentences(answer: dict) -> int:
    """Sentences the verifier kept: each carries exactly one group of ``[n]`` markers."""
    if answer.get("abstained") or not answer.get("text", "").strip():
        return 0
    groups = len(CITATION_MARKERS.findall(answer["text"]))
    if groups:
        return groups
    from index.sentences import sentence_spans

    return len(sentence_spans(answer["text"]))


def faithfulness(answer: dict) -> float | None:
    """kept / (kept + dropped) sentences; ``None`` when the generator drafted nothing."""
    kept, dropped = answer_sentences(answer), len(answer.get("dropped") or [])
    if kept + dropped == 0:
        return None
    return kept / (kept + dropped)


def first_rank(ranked: Iterable, hit: Callable[[object], bool]) -> int | None:
    """1-based rank of the first element ``hit`` accepts; ``None`` when none does."""
    for rank, element in enumerate(ranked, start=1):
        if hit(element):
            return rank
    return None


def rank_scores(prefix: str, rank: int | None) -> dict[str, float]:
    scores = {f"{prefix}_hit@{k}": float(rank is not None and rank <= k) for k in HIT_AT}
    scores[f"{prefix}_mrr"] = 1.0 / rank if rank else 0.0
    return scores


def score_item(item: EvalItem, answer: dict | None, error: str = "", ranked: list[dict] | None = None) -> dict:
    """Every per-item score; ``None`` where the item is not eligible. ``answer`` is ``Answer.to_dict()``
    (``None`` when answering raised ``error``); ``ranked`` the retrieved passages, best first
    ({"article_id", "text"}; ``None`` when retrieval failed, which counts as a miss)."""
    failed = answer is None or bool(error)
    answer = answer or {}
    text = answer.get("text", "")
    abstained = bool(answer.get("abstained")) and not failed
    cited = [c["article_id"] for c in answer.get("citations") or []]
    scores: dict[str, float | None] = {key: None for key, _, _ in METRICS}
    if item.answerable:
        correct = not failed and not abstained and answer_matches(text, item.answers, item.all_of)
        scores["answer_correct"] = float(correct)
        scores["answer_f1"] = 0.0 if failed or abstained else best_f1(text, item.answers, item.all_of)
        scores["citation_precision"] = 0.0 if failed else citation_precision(cited, item.article_ids)
        scores["citation_recall"] = 0.0 if failed else citation_recall(cited, item.article_ids)
        scores["false_abstention_rate"] = float(failed or abstained)
        ranked = ranked or []
        gold = set(item.article_ids)
        scores.update(rank_scores("article", first_rank(ranked, lambda p: p["article_id"] in gold)))
        if item.quote:
            quote = normalize(item.quote)
            scores.update(rank_scores("passage", first_rank(ranked, lambda p: quote in normalize(p["text"]))))
    else:
        correct = abstained
        scores["abstention_accuracy"] = float(correct)
    scores["accuracy"] = float(correct)
    scores["faithfulness"] = 0.0 if failed else faithfulness(answer)
    return scores


def _metric(values: list[float]) -> dict:
    return {"value": sum(values) / len(values) if values else None, "n": len(values)}


def summarize(records: list[dict]) -> dict:
    """Aggregate item records (as stored in the JSON report) into metrics and latency percentiles."""
    metrics = {}
    for key, _, _ in METRICS:
        metrics[key] = _metric([r["scores"][key] for r in records if r["scores"].get(key) is not None])
    latency = {}
    timed = [r["answer"]["timings"] for r in records if r.get("answer") and not r.get("error")]
    for stage in STAGES:
        values = [t[stage] for t in timed if isinstance(t.get(stage), int | float)]
        latency[stage] = {"p50": percentile(values, 50), "p95": percentile(values, 95), "n": len(values)}
    return {
        "items": len(records),
        "failed": sum(1 for r in records if failure(r)),
        "metrics": metrics,
        "latency": latency,
    }


def summarize_all(records: list[dict]) -> dict:
    by_category = {}
    for category in CATEGORIES:
        group = [r for r in records if r["category"] == category]
        if group:
            by_category[category] = summarize(group)
    return {"overall": summarize(records), "by_category": by_category}


def failure(record: dict) -> str:
    """What raised for this item: answering, or the extra retrieval for the ranked list."""
    retrieval = (record.get("retrieval") or {}).get("error", "")
    return record.get("error") or (f"retrieval: {retrieval}" if retrieval else "")
