"""The evaluation runner behind ``qa eval``: load a JSONL eval set, answer every item with the same
``Engine`` the CLI and UI use, score it, print a compact table and write JSON + Markdown + PNG reports.

Eval set format: one JSON object per line (blank lines are skipped)::

    {"id": "q001", "question": "How many American users does TikTok have?",
     "answers": ["170 million"], "article_ids": ["000_2586af1d1969f1c3"],
     "quote": "TikTok, with more than 170 million American users, ...", "category": "factoid", "history": []}

=============  ========  ===============================================================================
key            required  meaning
=============  ========  ===============================================================================
id             yes       text, unique within the file
question       yes       non-empty text
answers        yes       list of acceptable aliases; one matching alias makes the answer correct
all_of         no        list of alias groups (list answers): one alias of *every* group must match
article_ids    yes       gold article ids (corpus-relative path without extension)
quote          no        a span of a gold article that answers the question ("" = none)
category       yes       factoid | list | paraphrase | multi-article | follow-up | unanswerable | describe |
                         why | summary | comparison | false-premise (see below)
history        no        earlier turns [{"role": "user"|"assistant", "content": text}]; non-empty for
                         follow-up items
=============  ========  ===============================================================================

Categories: ``factoid`` (a short fact), ``list`` (several elements, ``all_of``; possibly from several
articles), ``paraphrase`` (the question avoids the article's words), ``multi-article`` (the fact is in more
than one article), ``follow-up`` (needs ``history`` to resolve a pronoun, possibly two turns back),
``describe`` (how did/does ..., what happened: a description in the text), ``why`` (a reason the articles
state), ``summary`` (summarize / what is the article about), ``comparison`` (two things, figures or
positions set side by side, possibly across articles), ``unanswerable`` (the articles do not give the fact),
``false-premise`` (the question assumes something the articles do not say) and ``cross-lingual`` (question
and answer in different languages: Spanish questions over English passages, English questions that only the
Spanish paragraph answers; an item without aliases is one that neither language answers, where abstaining
is right). For describe, why and
summary items the aliases are distinctive phrases of the sentences that answer.

Unanswerable and false-premise items (``ABSTAIN_CATEGORIES``: the right behaviour is to abstain) have empty
``answers``, ``all_of``, ``article_ids`` and ``quote``; answerable ones need
at least one alias (in ``answers`` or ``all_of``) and one gold article. Unknown keys are an error (a typo
such as ``"answer"`` would otherwise silently drop the gold). A bad line raises ``EvalSetError`` naming the
file, the line and the problem.

Metrics (``summarize``) per category and overall; every metric is ``{"value": float | None, "n": int}``,
``None`` (printed "n/a") only when no item is eligible, never NaN. An item whose answer raised counts as
wrong in every metric it is eligible for and is listed in the report.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

CATEGORIES = (
    "factoid",
    "list",
    "paraphrase",
    "multi-article",
    "follow-up",
    "unanswerable",
    "describe",
    "why",
    "summary",
    "comparison",
    "false-premise",
    "cross-lingual",
)
ABSTAIN_CATEGORIES = ("unanswerable", "false-premise")  # the right answer is an abstention
MIXED_CATEGORIES = ("cross-lingual",)  # answerable when the item gives aliases, else an abstention is right
STAGES = ("retrieve", "rerank", "generate", "total")
HIT_AT = (1, 5, 10)
DEFAULT_SET = Path(__file__).resolve().parent.parent / "eval" / "seed.jsonl"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "eval" / "reports"
RANKED_KEPT = 10  # ranked passages stored per item in the JSON report

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


class EvalSetError(ValueError):
    """A malformed eval set line; the message names the file, the line and the problem."""


class ReportError(ValueError):
    """A report file that cannot be read for ``--compare``."""


# ----------------------------------------------------------------------------------------------- eval set


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    answers: tuple[str, ...]
    article_ids: tuple[str, ...]
    category: str
    all_of: tuple[tuple[str, ...], ...] = ()
    quote: str = ""
    history: tuple[dict, ...] = ()
    line: int = 0

    @property
    def answerable(self) -> bool:
        if self.category in MIXED_CATEGORIES:
            return bool(self.answers or self.all_of)
        return self.category not in ABSTAIN_CATEGORIES

    def gold(self) -> dict:
        return {
            "answers": list(self.answers),
            "all_of": [list(g) for g in self.all_of],
            "article_ids": list(self.article_ids),
            "quote": self.quote,
        }


_REQUIRED = ("id", "question", "answers", "article_ids", "category")
_KNOWN = (*_REQUIRED, "all_of", "quote", "history")


def _string_list(value, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings, not {_describe(value)}")
    if any(not v.strip() for v in value):
        raise ValueError(f"'{key}' holds an empty string")
    return tuple(value)


def _a(word: str) -> str:
    """The indefinite article for ``word`` ("an unanswerable", "a false-premise")."""
    return "an" if word[:1] in "aeiou" else "a"


def _describe(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def parse_item(data, line: int = 0) -> EvalItem:
    """One eval item from a decoded JSON value; raises ``ValueError`` saying what is wrong."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {_describe(data)}")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise ValueError(f"missing key {', '.join(repr(k) for k in missing)}")
    unknown = sorted(set(data) - set(_KNOWN))
    if unknown:
        raise ValueError(f"unknown key {', '.join(repr(k) for k in unknown)} (known: {', '.join(_KNOWN)})")
    for key in ("id", "question", "category"):
        if not isinstance(data[key], str):
            raise ValueError(f"'{key}' must be a string, not {_describe(data[key])}")
    if not data["id"].strip():
        raise ValueError("'id' is empty")
    if not data["question"].strip():
        raise ValueError("'question' is empty")
    category = data["category"]
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r} (one of: {', '.join(CATEGORIES)})")
    answers = _string_list(data["answers"], "answers")
    article_ids = _string_list(data["article_ids"], "article_ids")
    raw_groups = data.get("all_of", [])
    if not isinstance(raw_groups, list):
        raise ValueError(f"'all_of' must be a list of lists of strings, not {_describe(raw_groups)}")
    all_of = tuple(_string_list(g, "all_of") for g in raw_groups)
    if any(not g for g in all_of):
        raise ValueError("'all_of' holds an empty group")
    quote = data.get("quote", "")
    if not isinstance(quote, str):
        raise ValueError(f"'quote' must be a string, not {_describe(quote)}")
    history = data.get("history", [])
    if not isinstance(history, list):
        raise ValueError(f"'history' must be a list of turns, not {_describe(history)}")
    for n, turn in enumerate(history, start=1):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise ValueError(f'\'history\' turn {n} must be {{"role": "user"|"assistant", "content": text}}')
    abstain = category in ABSTAIN_CATEGORIES or (category in MIXED_CATEGORIES and not answers and not all_of)
    if abstain:
        given = [k for k in ("answers", "all_of", "article_ids", "quote") if data.get(k)]
        if given:
            raise ValueError(f"{_a(category)} {category} item must not have {', '.join(repr(k) for k in given)}")
    else:
        if not answers and not all_of:
            raise ValueError(f"a {category} item needs at least one alias in 'answers' or 'all_of'")
        if not article_ids:
            raise ValueError(f"a {category} item needs at least one gold article id in 'article_ids'")
    if category == "follow-up" and not history:
        raise ValueError("a follow-up item needs a non-empty 'history'")
    return EvalItem(
        id=data["id"],
        question=data["question"],
        answers=answers,
        article_ids=article_ids,
        category=category,
        all_of=all_of,
        quote=quote,
        history=tuple(history),
        line=line,
    )


def load_eval_set(path: Path | str) -> list[EvalItem]:
    """Every item of a JSONL eval set, validated; the first bad line raises ``EvalSetError``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalSetError(f"{path}: no such eval set file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalSetError(f"{path}: cannot read the eval set ({exc})") from None
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}, line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        try:
            item = parse_item(data, number)
        except ValueError as exc:
            where = f" (item {data['id']!r})" if isinstance(data, dict) and isinstance(data.get("id"), str) else ""
            raise EvalSetError(f"{path}, line {number}{where}: {exc}") from None
        if item.id in seen:
            raise EvalSetError(f"{path}, line {number}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise EvalSetError(f"{path}: the eval set holds no items")
    return items


# ------------------------------------------------------------------------------------------------ metrics

_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_MARKER_GROUP = re.compile(r"(?:\[\d+(?:\s*,\s*\d+)*\])+")


def normalize(text: str) -> str:
    """Lowercase, punctuation and symbols to spaces, spaces collapsed; ``[n]`` citation markers removed."""
    text = unicodedata.normalize("NFKC", _MARKER.sub(" ", text)).casefold()
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
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


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
    groups = len(_MARKER_GROUP.findall(answer["text"]))
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


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


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
        "failed": sum(1 for r in records if _failure(r)),
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


# ------------------------------------------------------------------------------------------------- runner


def _ranked(retrieval) -> list[dict]:
    return [
        {
            "article_id": p.passage.article_id,
            "start": p.passage.start,
            "end": p.passage.end,
            "text": p.passage.text,
            "score": p.score,
        }
        for p in retrieval.passages
    ]


def evaluate_item(engine, item: EvalItem, generator: str | None = None) -> dict:
    """Answer one item and score the answer and the ranked list it was made from; never raises."""
    history = list(item.history) or None
    answer, error, retrieval = None, "", None
    try:
        answered = engine.answer(item.question, history, generator=generator)
        answer, retrieval = answered.to_dict(), answered.retrieval
    except Exception as exc:  # a failed item counts as wrong and is listed, the run goes on
        error = f"{type(exc).__name__}: {exc}"
    retrieval_error, ranked, query = "", None, item.question
    try:
        if answer is not None:
            query = answer["standalone_question"] or answer["question"]
        else:
            from qa.condense import condense

            query = condense(item.question, history).text
        # The answer's own ranked list; retrieve again only if the answer failed before it was made.
        retrieval = retrieval or engine.retriever.retrieve(query, engine.settings.candidates)
        ranked = _ranked(retrieval)
    except Exception as exc:
        retrieval_error = f"{type(exc).__name__}: {exc}"
    scores = score_item(item, answer, error, ranked)
    gold_ids = set(item.article_ids)
    quote = normalize(item.quote) if item.quote else ""
    return {
        "id": item.id,
        "category": item.category,
        "question": item.question,
        "history": list(item.history),
        "gold": item.gold(),
        "answer": answer,
        "error": error,
        "retrieval": {
            "query": query,
            "error": retrieval_error,
            "article_rank": first_rank(ranked or [], lambda p: p["article_id"] in gold_ids) if gold_ids else None,
            "passage_rank": first_rank(ranked or [], lambda p: quote in normalize(p["text"])) if quote else None,
            "ranked": [{k: v for k, v in p.items() if k != "text"} for p in (ranked or [])[:RANKED_KEPT]],
        },
        "scores": scores,
    }


def run(engine, items: list[EvalItem], generator: str | None = None, progress: bool = False) -> list[dict]:
    """Evaluate ``items`` in order. Models are loaded before the first item so latency is per question."""
    engine.retriever.retrieve("warm up the models", engine.settings.candidates)
    iterator: Iterable[EvalItem] = items
    if progress:
        from tqdm import tqdm

        iterator = tqdm(items, desc="evaluating", unit="item", file=sys.stderr)
    return [evaluate_item(engine, item, generator) for item in iterator]


@dataclass
class RunInfo:
    eval_set: str
    generator: str
    index_dir: str
    collection: str
    started: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    seconds: float = 0.0


def _failure(record: dict) -> str:
    """What raised for this item: answering, or the extra retrieval for the ranked list."""
    retrieval = (record.get("retrieval") or {}).get("error", "")
    return record.get("error") or (f"retrieval: {retrieval}" if retrieval else "")


def build_report(records: list[dict], info: RunInfo) -> dict:
    return {
        "kind": "newsdesk-qa eval report",
        "meta": vars(info),
        "summary": summarize_all(records),
        "failed": [{"id": r["id"], "error": _failure(r)} for r in records if _failure(r)],
        "items": records,
    }


# ------------------------------------------------------------------------------------------------ reports


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


def _short(text: str, n: int = 160) -> str:
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
            why = f"answered {_a(r['category'])} {r['category']} question"
        elif r["scores"].get("abstention_accuracy") is not None:
            why = "answered a question neither language answers"
        elif a.get("abstained"):
            why = "abstained"
        else:
            why = "no alias matched"
        rank = r["retrieval"]["article_rank"]
        out.append(
            f"| {r['id']} | {r['category']} | {_md_cell(_short(r['question'], 90))} | "
            f"{_md_cell(_short(a.get('text', '') or r['error'], 140))} | {rank if rank else '-'} | {why} |"
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


# ------------------------------------------------------------------------------------------------ compare


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
        return _short((r.get("answer") or {}).get("text", "") or f"(failed: {r.get('error', '')})", 100)

    fixed, broken, abst = [], [], []
    for i in common:
        o, n = old_items[i], new_items[i]
        oc, nc = bool(o["scores"].get("accuracy")), bool(n["scores"].get("accuracy"))
        if oc != nc:
            (fixed if nc else broken).append(
                f"  {i} [{n['category']}] {_short(n.get('question', ''), 70)}\n"
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


# ---------------------------------------------------------------------------------------------------- CLI


def main(args, settings) -> int:
    """``qa eval [FILE] [--generator G] [--limit N] [--out DIR]`` or ``qa eval --compare OLD NEW``."""
    try:
        if getattr(args, "compare", None):
            print(compare_files(*args.compare))
            return 0
        path = Path(args.file) if args.file else DEFAULT_SET
        items = load_eval_set(path)
    except (EvalSetError, ReportError) as exc:
        print(f"qa eval: {exc}", file=sys.stderr)
        return 2
    if args.limit:
        items = items[: args.limit]
    from qa.pipeline import Engine

    engine = Engine(settings)
    generator = args.generator or settings.generator
    started = time.perf_counter()
    records = run(engine, items, generator, progress=True)
    info = RunInfo(str(path), generator, str(settings.index_dir), settings.collection)
    info.seconds = time.perf_counter() - started
    report = build_report(records, info)
    paths = write_reports(report, Path(args.out) if args.out else DEFAULT_OUT)
    print(f"{path}: {len(items)} items, generator {generator}, {info.seconds:.1f} s")
    print(format_table(report["summary"]))
    for failed in report["failed"]:
        print(f"FAILED {failed['id']}: {failed['error']}")
    print(f"\nreports: {paths['json']}\n         {paths['md']}\n         {paths['png']}")
    return 1 if report["failed"] else 0
