"""The ``qa`` command: ask, ingest, serve, eval. Heavy imports happen inside the commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.generators.registry import NAMES as GENERATOR_NAMES


def _settings(args) -> object:
    from qa.settings import Settings

    overrides = {}
    if getattr(args, "generator", None):
        overrides["generator"] = args.generator
    if getattr(args, "top_k", None):
        overrides["top_k"] = args.top_k
    if getattr(args, "index_dir", None):
        overrides["index_dir"] = Path(args.index_dir)
    return Settings.from_env(**overrides)


def format_answer(a) -> str:
    lines = []
    if a.standalone_question:
        lines.append(f"(understood as: {a.standalone_question})")
    lines.append(a.text)
    if a.conflict:
        lines.append("")
        lines.append(f"Note: {a.conflict}")
    if a.notice:
        lines.append(f"Notice: {a.notice}")
    sources = a.citations or a.closest
    if sources:
        lines.append("")
        lines.append("Sources:" if a.citations else "Closest coverage:")
        for c in sources:
            quote = " ".join(c.quote.split())
            if len(quote) > 300:
                quote = quote[:297] + "…"
            page = f"p. {c.page}, " if c.page else ""
            lines.append(
                f"  [{c.n}] {c.title} ({c.date or 'date unknown'}; {c.article_id}, {page}chars {c.start}-{c.end})"
            )
            lines.append(f"      “{quote}”")
    lines.append("")
    lines.append(f"({a.generator}, {a.timings.get('total', 0):.2f} s)")
    return "\n".join(lines)


def cmd_ask(args) -> int:
    from qa.limits import load_history_file
    from qa.pipeline import Engine

    settings = _settings(args)
    history = load_history_file(args.history) if args.history else None
    a = Engine(settings).answer(
        " ".join(args.question), history, since=args.since, until=args.until, articles=args.article
    )
    if args.json:
        print(json.dumps(a.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(a))
    return 0


def cmd_ingest(args) -> int:
    from index.embed import Embedder
    from index.ingest import ingest
    from qa.progress import ProgressBar

    settings = _settings(args)
    folder = Path(args.folder) if args.folder else settings.corpus_dir
    bar = ProgressBar("embedding")
    embedder = Embedder(settings.threads)
    report = ingest(settings, embedder, folder, bar, rebuild=args.rebuild)
    bar.close()
    for skipped in report.skipped:
        print(f"skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    print(f"{folder}: {report.summary()}")
    _ensure_query_encoder(settings, embedder)
    return 0


def cmd_add(args) -> int:
    from index.add import add_sources
    from index.embed import Embedder
    from index.fetch import Fetcher, FetchPolicy
    from index.ingest import ingest
    from qa.progress import ProgressBar

    settings = _settings(args)
    fetcher = Fetcher(FetchPolicy.from_settings(settings))
    report = add_sources(args.sources, settings.corpus_dir, fetcher, ProgressBar("fetching"))
    for saved in report.saved:
        state = "saved" if saved.written else "unchanged"
        print(f"{state}: {saved.path.relative_to(settings.corpus_dir)}  {saved.title}  <{saved.url}>")
    for _source, reason in report.failed:
        print(f"not added: {reason}", file=sys.stderr)
    if report.written:
        ingested = ingest(settings, Embedder(settings.threads), settings.corpus_dir)
        print(f"{settings.corpus_dir}: {ingested.summary()}")
    else:
        print("nothing new to ingest")
    return 1 if report.failed else 0


def _ensure_query_encoder(settings, embedder) -> None:
    """Once per data folder: the ONNX copy of the embedding model that lets answers start without torch."""
    from index.query_encoder import ensure_query_encoder

    try:
        path, written = ensure_query_encoder(settings.data_dir, lambda: embedder)
    except Exception as exc:  # answers still work, through sentence-transformers
        print(
            f"could not write the ONNX query encoder ({type(exc).__name__}: {exc}); questions will be "
            "embedded with sentence-transformers",
            file=sys.stderr,
        )
        return
    if written:
        print(f"query encoder: wrote {path} (the embedding model as ONNX, for a fast start)")


def cmd_serve(args) -> int:
    from ui.app import serve

    settings = _settings(args)
    overrides = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    serve(settings.with_(**overrides) if overrides else settings, insecure=args.insecure)
    return 0


def cmd_eval(args) -> int:
    from qa.evaluation.runner import main as eval_main

    return eval_main(args, _settings(args))


def cmd_bench(args) -> int:
    from qa.bench import run

    return run(args, _settings(args))


def cmd_import(args) -> int:
    from qa.importers import ImporterError, import_jsonl
    from qa.reuters import import_reuters
    from qa.settings import Settings

    settings = Settings.from_env()
    try:
        if args.source == "reuters":
            out = Path(args.out) if args.out else settings.data_dir / "reuters" / "corpus"
            arff = [Path(p) for p in args.arff] if args.arff else None
            report = import_reuters(out, settings.data_dir / "cache", arff)
        else:
            out = Path(args.out) if args.out else settings.corpus_dir
            report = import_jsonl(Path(args.file), out)
    except ImporterError as exc:
        print(f"qa import {args.source}: {exc}", file=sys.stderr)
        return 2
    for bad in report.bad:
        print(f"{getattr(args, 'file', 'arff')}:{bad.line}: skipped: {bad.reason}", file=sys.stderr)
    print(report.summary())
    if args.source == "reuters":
        index = report.out_dir.parent / "index"
        print(f"next: QA_CORPUS_DIR={report.out_dir} QA_INDEX_DIR={index} qa ingest  (then qa ask with the same)")
    elif report.out_dir != settings.corpus_dir:
        print(f"next: QA_CORPUS_DIR={report.out_dir} qa ingest")
    else:
        print("next: qa ingest")
    return 0


def cmd_train(args) -> int:
    from qa.settings import Settings
    from qa.training import TrainingPlaces

    places = TrainingPlaces(Settings.from_env().data_dir, Path(args.out) if args.out else None)
    if args.name == "reranker":
        from qa.reranker_train import RerankerConfig as Config
        from qa.reranker_train import run
    else:
        from qa.reader_train import TrainConfig as Config
        from qa.reader_train import run
    examples = "questions" if args.name == "reranker" else "max_examples"  # --max-examples counts these
    options = {"seed": args.seed, "limit": args.limit, "epochs": args.epochs, examples: args.max_examples}
    overrides = {k: v for k, v in options.items() if v is not None}
    if args.no_dense:
        overrides["dense_negatives"] = False
    run(Config(**overrides), places)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from qa.bench import add_arguments as add_bench_arguments

    parser = argparse.ArgumentParser(prog="qa", description="Cited answers over a news corpus.")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("--generator", choices=GENERATOR_NAMES)
    ask.add_argument("--top-k", type=int)
    ask.add_argument("--history", help="JSON file with earlier turns [{role, content}, ...]")
    ask.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this date")
    ask.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this date")
    ask.add_argument(
        "--article", action="append", metavar="ID", help="only this article (repeatable; the id as in --json output)"
    )
    ask.set_defaults(func=cmd_ask)

    ing = sub.add_parser("ingest", help="index the corpus folder incrementally")
    ing.add_argument("folder", nargs="?", help="corpus folder (default: QA_CORPUS_DIR)")
    ing.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")
    ing.set_defaults(func=cmd_ingest)

    add = sub.add_parser("add", help="fetch RSS/Atom feeds and article links into the corpus, and ingest them")
    add.add_argument("sources", nargs="+", metavar="FEED_OR_URL", help="feed URL or file, or an article URL")
    add.set_defaults(func=cmd_add)

    srv = sub.add_parser("serve", help="start the Gradio chat")
    srv.add_argument("--host")
    srv.add_argument("--port", type=int)
    srv.add_argument(
        "--insecure", action="store_true", help="serve on a non-loopback host even without QA_AUTH (a warning)"
    )
    srv.set_defaults(func=cmd_serve)

    ev = sub.add_parser("eval", help="run an evaluation set and print the metrics")
    ev.add_argument("file", nargs="?", default=None, help="JSONL eval set (default: eval/seed.jsonl)")
    ev.add_argument("--generator", choices=GENERATOR_NAMES)
    ev.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two JSON reports item by item")
    ev.add_argument("--limit", type=int, help="evaluate only the first N items")
    ev.add_argument("--out", help="report folder (default: eval/reports)")
    ev.set_defaults(func=cmd_eval)

    imp = sub.add_parser("import", help="turn an article collection into corpus files")
    imp_sub = imp.add_subparsers(dest="source", required=True)
    reu = imp_sub.add_parser("reuters", help="the 2,158 Reuters-21578 articles from Debian's weka package")
    reu.add_argument("--out", help="output folder (default: QA_DATA_DIR/reuters/corpus)")
    reu.add_argument("--arff", nargs="+", help="ARFF files to read instead of fetching the weka package")
    reu.set_defaults(func=cmd_import)
    jsl = imp_sub.add_parser("jsonl", help='one article per line: {"id","title","text","published","url"}')
    jsl.add_argument("file", help="JSONL file (may be gzipped)")
    jsl.add_argument("--out", help="output folder (default: QA_CORPUS_DIR)")
    jsl.set_defaults(func=cmd_import)

    bench = sub.add_parser("bench", help="run a benchmark: SQuAD v1.1 dev (squad), or speed and memory (speed)")
    add_bench_arguments(bench)
    bench.set_defaults(func=cmd_bench)

    train = sub.add_parser("train", help="train one of our own models from data in packages (see its MODEL_CARD.md)")
    train.add_argument("name", choices=["reader", "reranker"])
    train.add_argument("--seed", type=int, help="random seed (default: the model card's)")
    train.add_argument("--epochs", type=float, help="passes over the training examples")
    train.add_argument(
        "--max-examples", type=int, help="train on a seeded sample of this many examples (reranker: questions)"
    )
    train.add_argument("--limit", type=int, help="only the first N paragraphs of each source (a quick run)")
    train.add_argument("--no-dense", action="store_true", help="mine negatives with BM25 only")
    train.add_argument("--out", help="where the exported model goes (default: qa/reader_model)")
    train.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Importing this module imported the qa package first, which set the offline defaults.
    args = build_parser().parse_args(argv)
    from index.errors import UserError

    try:
        return args.func(args)
    except UserError as exc:  # bad input, a setting, a missing model or server: the message says what to do
        print(f"qa {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
