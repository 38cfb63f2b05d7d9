"""The ``qa`` command: ask, ingest, serve, eval. Heavy imports happen inside the commands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


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
            lines.append(f"  [{c.n}] {c.title} ({c.article_id}, chars {c.start}-{c.end})")
            lines.append(f"      “{quote}”")
    lines.append("")
    lines.append(f"({a.generator}, {a.timings.get('total', 0):.2f} s)")
    return "\n".join(lines)


def cmd_ask(args) -> int:
    from qa.pipeline import engine_for

    settings = _settings(args)
    history = json.loads(Path(args.history).read_text()) if args.history else None
    a = engine_for(settings).answer(" ".join(args.question), history)
    if args.json:
        print(json.dumps(a.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(a))
    return 0


def cmd_ingest(args) -> int:
    from index.embed import shared_embedder
    from index.ingest import ingest

    settings = _settings(args)
    folder = Path(args.folder) if args.folder else settings.corpus_dir
    bar = None

    def progress(done: int, total: int, what: str) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit=what[:-1] if what.endswith("s") else what, desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)

    report = ingest(settings, shared_embedder(settings.threads), folder, progress, rebuild=args.rebuild)
    if bar is not None:
        bar.close()
    for skipped in report.skipped:
        print(f"skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    print(f"{folder}: {report.summary()}")
    return 0


def cmd_serve(args) -> int:
    from ui.app import serve

    settings = _settings(args)
    overrides = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    serve(settings.with_(**overrides) if overrides else settings)
    return 0


def cmd_eval(args) -> int:
    from qa.evaluate import main as eval_main

    return eval_main(args, _settings(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Cited answers over a news corpus.")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("--generator", choices=["extractive", "local", "openai"])
    ask.add_argument("--top-k", type=int)
    ask.add_argument("--history", help="JSON file with earlier turns [{role, content}, ...]")
    ask.set_defaults(func=cmd_ask)

    ing = sub.add_parser("ingest", help="index the corpus folder incrementally")
    ing.add_argument("folder", nargs="?", help="corpus folder (default: QA_CORPUS_DIR)")
    ing.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")
    ing.set_defaults(func=cmd_ingest)

    srv = sub.add_parser("serve", help="start the Gradio chat")
    srv.add_argument("--host")
    srv.add_argument("--port", type=int)
    srv.set_defaults(func=cmd_serve)

    ev = sub.add_parser("eval", help="run an evaluation set and print the metrics")
    ev.add_argument("file", nargs="?", default=None, help="JSONL eval set (default: eval/seed.jsonl)")
    ev.add_argument("--generator", choices=["extractive", "local", "openai"])
    ev.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two JSON reports item by item")
    ev.add_argument("--limit", type=int, help="evaluate only the first N items")
    ev.add_argument("--out", help="report folder (default: eval/reports)")
    ev.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    import os

    for name, value in (
        ("HF_HUB_OFFLINE", "1"),
        ("TRANSFORMERS_OFFLINE", "1"),
        ("GRADIO_ANALYTICS_ENABLED", "False"),
    ):
        os.environ.setdefault(name, value)
    args = build_parser().parse_args(argv)
    from index.load import ArticleError
    from index.store import StoreError
    from qa.generators import GeneratorError
    from qa.models import ModelMissingError
    from qa.pipeline import QuestionError
    from qa.settings import SettingsError

    try:
        return args.func(args)
    except (QuestionError, SettingsError, StoreError, ArticleError, GeneratorError, ModelMissingError) as exc:
        print(f"qa {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
