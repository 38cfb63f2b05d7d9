"""``qa bench squad``: the SQuAD v1.1 dev set as a public yardstick nobody here wrote.

The data comes from the bigbench==1.0.0 source archive on PyPI (downloaded with pip, never installed);
only ``bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json`` is extracted, into
``settings.data_dir / "cache"`` (git-ignored). Its 2,067 paragraphs become a corpus of their own
(``data_dir/squad/corpus``, one .txt per paragraph: the article title as headline line, then the
paragraph) with its own index (``data_dir/squad/index``, collection ``squad``); ingestion is incremental,
so only the first run embeds. N questions sampled with a fixed seed are answered by the same ``Engine``.

Reported: passage hit rate at 1/5/10/20 and MRR (a hit is a retrieved passage of the question's
paragraph), exact match and token F1 of the answer text against the gold spans (SQuAD's official
normalization) of the short answer (the reader's span; the whole answer text when there is none),
"answer-in-text" (a gold span inside the normalized whole answer), how often the answer cites the gold paragraph, abstentions
(every SQuAD question is answerable), and latency per stage.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import string
import subprocess
import sys
import tarfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qa.evaluate import DEFAULT_OUT, STAGES, fmt_seconds, latency_chart, percentile, stage_latency_lines

REQUIREMENT = "bigbench==1.0.0"
SDIST = "bigbench-1.0.0.tar.gz"
SDIST_SHA256 = "1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2"
MEMBER = "bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/squaddev_v1.1.json"
JSON_NAME = "squaddev_v1.1.json"
JSON_SHA256 = "45089eff3cf52004b1dca6814cde5c57082fdb09872f18c79a5d944d45be523a"
# pip >= 26 refuses to download an sdist from PyPI whose metadata names a direct URL dependency, and
# bigbench's setup.py names bleurt by URL; pip 25.2 (run from its own wheel, never installed) still does.
FALLBACK_PIP = "pip==25.2"
HIT_AT = (1, 5, 10, 20)
BM25_BASELINE = {1: 0.77, 5: 0.92, 20: 0.96}  # /work/shared/MODELS.md: plain BM25 over the paragraphs
DEFAULT_QUESTIONS = 200


class BenchError(RuntimeError):
    """The benchmark data cannot be fetched or read; the message says what to do."""


# ----------------------------------------------------------------------------------------------- the data


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pip_download(command: list[str]) -> subprocess.CompletedProcess:
    print("$ " + " ".join(command), file=sys.stderr)
    return subprocess.run(command, capture_output=True, text=True)


def download_sdist(cache_dir: Path) -> Path:
    """``pip download --no-deps bigbench==1.0.0`` into ``cache_dir`` (358 MB), hash-checked."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    sdist = cache_dir / SDIST
    base = ["download", "--no-deps", "--disable-pip-version-check", REQUIREMENT, "-d", str(cache_dir)]
    result = _pip_download([sys.executable, "-m", "pip", *base])
    if result.returncode != 0 and "direct URL dependenc" in result.stdout + result.stderr:
        print("this pip refuses bigbench's metadata (a direct URL dependency); using " + FALLBACK_PIP, file=sys.stderr)
        pip_dir = cache_dir / "pip"
        fetched = _pip_download(
            [sys.executable, "-m", "pip", "download", "--no-deps", FALLBACK_PIP, "-d", str(pip_dir)]
        )
        wheels = sorted(pip_dir.glob("pip-25.2-*.whl"))
        if fetched.returncode != 0 or not wheels:
            raise BenchError(f"cannot download {FALLBACK_PIP}: {fetched.stderr.strip()[-500:]}")
        result = _pip_download([sys.executable, str(wheels[0] / "pip"), *base])
    if result.returncode != 0 or not sdist.exists():
        raise BenchError(
            f"pip could not download {REQUIREMENT}: {(result.stderr or result.stdout).strip()[-800:]}\n"
            f"Since 2026-12-07 PyPI answers 403 for this version. If you have the archive (sha256 {SDIST_SHA256}), "
            f"put it at {sdist} and run again."
        )
    return sdist


def extract_member(sdist: Path, member: str, target: Path) -> Path:
    """Stream ``member`` out of the .tar.gz into ``target`` without unpacking anything else."""
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with tarfile.open(sdist, "r:gz") as archive:
            for info in archive:
                if info.name == member and info.isfile():
                    source = archive.extractfile(info)
                    assert source is not None
                    with source, open(partial, "wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
                    break
            else:
                raise BenchError(f"{sdist} has no {member}")
    except (tarfile.TarError, OSError, EOFError) as exc:
        partial.unlink(missing_ok=True)
        raise BenchError(f"cannot read {sdist} ({exc}); delete it and run again") from None
    partial.replace(target)
    return target


def fetch_squad(cache_dir: Path) -> Path:
    """The cached SQuAD v1.1 dev JSON, downloading and extracting it on first use."""
    target = cache_dir / JSON_NAME
    if target.exists() and file_sha256(target) == JSON_SHA256:
        return target
    sdist = cache_dir / SDIST
    if not sdist.exists():
        sdist = download_sdist(cache_dir)
    digest = file_sha256(sdist)
    if digest != SDIST_SHA256:
        raise BenchError(f"{sdist} has sha256 {digest}, expected {SDIST_SHA256}: delete it and run again")
    print(f"extracting {MEMBER} from {sdist}", file=sys.stderr)
    extract_member(sdist, MEMBER, target)
    digest = file_sha256(target)
    if digest != JSON_SHA256:
        target.unlink()
        raise BenchError(f"extracted {JSON_NAME} has sha256 {digest}, expected {JSON_SHA256}")
    return target


@dataclass(frozen=True)
class Paragraph:
    id: str  # the article id of its corpus file
    title: str
    context: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    paragraph_id: str


def read_squad(path: Path, prefix: str = "") -> tuple[list[Paragraph], list[Question]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BenchError(f"{path} is not a SQuAD JSON file ({exc})") from None
    paragraphs, questions = [], []
    for a, article in enumerate(data):
        title = article["title"].replace("_", " ")
        for p, paragraph in enumerate(article["paragraphs"]):
            pid = f"{prefix}{a:02d}_{p:03d}"
            paragraphs.append(Paragraph(pid, title, paragraph["context"]))
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(x["text"] for x in qa["answers"]))
                questions.append(Question(qa["id"], qa["question"], answers, pid))
    return paragraphs, questions


def write_corpus(paragraphs: list[Paragraph], corpus_dir: Path) -> int:
    """One .txt per paragraph (title line, blank line, paragraph); unchanged files are left alone and
    files of no paragraph removed. Returns the number of files written."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    wanted = set()
    written = 0
    for p in paragraphs:
        path = corpus_dir / f"{p.id}.txt"
        wanted.add(path.name)
        text = f"{p.title}\n\n{p.context.strip()}\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written += 1
    for path in corpus_dir.glob("*.txt"):
        if path.name not in wanted:
            path.unlink()
    return written


def sample_questions(questions: list[Question], n: int, seed: int = 0) -> list[Question]:
    return random.Random(seed).sample(questions, min(n, len(questions)))


# -------------------------------------------------------------------------------------------------- metrics


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
    pred, ref = squad_normalize(prediction).split(), squad_normalize(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def max_f1(prediction: str, golds: tuple[str, ...]) -> float:
    return max((squad_f1(prediction, g) for g in golds), default=0.0)


def answer_in_text(prediction: str, golds: tuple[str, ...]) -> float:
    """A normalized gold span occurs in the normalized answer, on word boundaries."""
    text = f" {squad_normalize(prediction)} "
    return float(any(n and f" {n} " in text for n in map(squad_normalize, golds)))


# --------------------------------------------------------------------------------------------------- runner


def ask(engine, q: Question, generator: str | None) -> dict:
    from qa.citations import strip_markers

    record = {"id": q.id, "question": q.question, "gold": list(q.answers), "paragraph_id": q.paragraph_id}
    try:
        answer = engine.answer(q.question, None, generator=generator)
        record["error"] = ""
    except Exception as exc:  # counts as wrong and is listed
        answer = None
        record["error"] = f"{type(exc).__name__}: {exc}"
    started = time.perf_counter()
    try:
        query = (answer.standalone_question or answer.question) if answer else q.question
        ranked = [p.passage.article_id for p in engine.retriever.retrieve(query, engine.settings.candidates).passages]
    except Exception as exc:
        ranked = []
        record["error"] = record["error"] or f"retrieval: {type(exc).__name__}: {exc}"
    record["retrieval_seconds"] = time.perf_counter() - started
    rank = next((i for i, pid in enumerate(ranked, start=1) if pid == q.paragraph_id), None)
    prediction = "" if answer is None or answer.abstained else strip_markers(answer.text)
    # EM and F1 score the short answer (the reader's span) when there is one, else the whole answer text.
    short = answer.short_answer.text if answer and not answer.abstained and answer.short_answer else prediction
    record.update(
        rank=rank,
        answer=answer.to_dict() if answer else None,
        prediction=prediction,
        short_answer=short,
        em=exact_match(short, q.answers) if short else 0.0,
        f1=max_f1(short, q.answers) if short else 0.0,
        in_text=answer_in_text(prediction, q.answers) if prediction else 0.0,
        cites_gold=float(bool(answer) and any(c.article_id == q.paragraph_id for c in answer.citations)),
        abstained=bool(answer and answer.abstained),
    )
    return record


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


DATASETS = {
    "dev": "SQuAD v1.1 dev",
    "heldout": "held-out SQuADShifts paragraphs",
}


HELDOUT_SOURCES = ("new_wiki", "reddit", "amazon_reviews")


def heldout_dataset(
    cache_dir: Path, sources: dict[str, Path] | None = None
) -> tuple[list[Paragraph], list[Question], list[Path]]:
    """The paragraphs of SQuADShifts new_wiki, reddit and amazon_reviews that reader training holds out (5 %, by a
    hash of the text) with their questions: our development set for answer-layer design choices, so that SQuAD
    v1.1 dev is only ever reported on. Never nyt (reserved). ``sources`` replaces the files taken from the
    archive (tests)."""
    from qa.reader_data import extract_sources, is_heldout

    if sources is None:
        sdist = cache_dir / SDIST
        if not sdist.exists():
            sdist = download_sdist(cache_dir)
        sources = extract_sources(sdist, cache_dir / "reader-sources")
    paragraphs, questions = [], []
    for name in (n for n in HELDOUT_SOURCES if n in sources):
        ps, qs = read_squad(sources[name], prefix=f"{name}_")
        kept = {p.id for p in ps if is_heldout(p.context)}
        paragraphs += [p for p in ps if p.id in kept]
        questions += [q for q in qs if q.paragraph_id in kept and q.answers]
    return paragraphs, questions, [sources[n] for n in HELDOUT_SOURCES if n in sources]


def squad_settings(settings, dataset: str = "dev"):
    root = settings.data_dir / ("squad" if dataset == "dev" else f"squad-{dataset}")
    collection = "squad" if dataset == "dev" else f"squad_{dataset}"
    return settings.with_(corpus_dir=root / "corpus", index_dir=root / "index", collection=collection)


def ingest_squad(settings, paragraphs: list[Paragraph]):
    from tqdm import tqdm

    from index.embed import Embedder
    from index.ingest import ingest

    write_corpus(paragraphs, settings.corpus_dir)
    bar = None

    def progress(done: int, total: int, what: str) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="passage", desc="embedding SQuAD", file=sys.stderr)
        bar.update(done - bar.n)

    report = ingest(settings, Embedder(settings.threads), settings.corpus_dir, progress)
    if bar is not None:
        bar.close()
    return report


def run_bench(
    settings, questions: int = DEFAULT_QUESTIONS, seed: int = 0, generator: str | None = None, dataset: str = "dev"
) -> dict:
    from tqdm import tqdm

    from qa.pipeline import Engine

    started_at = datetime.now().isoformat(timespec="seconds")
    if dataset == "dev":
        path = fetch_squad(settings.data_dir / "cache")
        paragraphs, all_questions = read_squad(path)
        files = [path]
    else:
        paragraphs, all_questions, files = heldout_dataset(settings.data_dir / "cache")
    bench = squad_settings(settings, dataset)
    ingested = ingest_squad(bench, paragraphs)
    print(f"SQuAD corpus {bench.corpus_dir}: {ingested.summary()}", file=sys.stderr)
    engine = Engine(bench)
    engine.retriever.retrieve("warm up the models", bench.candidates)
    sample = sample_questions(all_questions, questions, seed)
    generator = generator or bench.generator
    started = time.perf_counter()
    records = [ask(engine, q, generator) for q in tqdm(sample, desc="SQuAD", unit="q", file=sys.stderr)]
    seconds = time.perf_counter() - started
    return {
        "kind": "newsdesk-qa squad benchmark",
        "meta": {
            "dataset": dataset,
            "dataset_name": DATASETS[dataset],
            "files": [str(f) for f in files],
            "paragraphs": len(paragraphs),
            "passages": len(engine.retriever.keyword.passages),
            "total_questions": len(all_questions),
            "seed": seed,
            "generator": generator,
            "candidates": bench.candidates,
            "index_dir": str(bench.index_dir),
            "started": started_at,
            "seconds": seconds,
            "ingest": ingested.summary(),
            "bm25_baseline": {f"hit@{k}": v for k, v in BM25_BASELINE.items()},
        },
        "summary": summarize(records),
        "failed": [{"id": r["id"], "error": r["error"]} for r in records if r["error"]],
        "items": records,
    }


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


def main(args, settings) -> int:
    """``qa bench squad --questions N [--seed S] [--generator G] [--out DIR]``."""
    if args.questions < 1:
        print("qa bench: --questions must be at least 1", file=sys.stderr)
        return 2
    try:
        report = run_bench(settings, args.questions, args.seed, args.generator, getattr(args, "dataset", "dev"))
    except BenchError as exc:
        print(f"qa bench: {exc}", file=sys.stderr)
        return 2
    paths = write_reports(report, Path(args.out) if args.out else DEFAULT_OUT)
    meta, summary = report["meta"], report["summary"]
    print(
        f"{meta['dataset_name']}: {summary['questions']} of {meta['total_questions']:,} questions (seed {meta['seed']}), "
        f"{meta['paragraphs']:,} paragraphs / {meta['passages']:,} passages, generator {meta['generator']}, "
        f"{meta['seconds']:.0f} s"
    )
    print(format_summary(summary))
    for failed in report["failed"]:
        print(f"FAILED {failed['id']}: {failed['error']}")
    print(f"\nreports: {paths['json']}\n         {paths['md']}\n         {paths['png']}")
    return 1 if report["failed"] else 0
