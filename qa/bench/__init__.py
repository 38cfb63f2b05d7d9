"""Every benchmark under one command: ``qa bench NAME`` (``python -m qa.bench NAME`` is the same program).

``BENCHMARKS`` is the registry: a name, its help, the options it takes and the module whose ``main(args,
settings)`` runs it. Only this module is imported to build the ``qa`` parser; a benchmark's own modules are
imported when it runs.

- ``squad``: SQuAD v1.1 dev (or the held-out SQuADShifts paragraphs) answered on its own corpus and index
  (``squad``, ``squad_data``, ``squad_metrics``, ``squad_report``, ``archive``).
- ``speed``: ingestion, query latency, cold start and memory over four corpus sizes, written to
  docs/benchmarks.md (``speed``, ``workers``, ``synthetic``, ``measure``, ``speed_summary``, ``speed_report``).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass

from qa.bench.errors import BenchError
from qa.generators.registry import NAMES as GENERATOR_NAMES
from qa.settings import PROJECT_ROOT

__all__ = ["BENCHMARKS", "BenchError", "Benchmark", "add_arguments", "run"]


@dataclass(frozen=True)
class Benchmark:
    name: str
    help: str
    add_options: Callable[[argparse.ArgumentParser], None]
    module: str  # defines main(args, settings) -> exit code


def _squad_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--questions", type=int, default=200, help="questions to sample (default: 200)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    parser.add_argument("--generator", choices=GENERATOR_NAMES)
    parser.add_argument(
        "--dataset",
        choices=["dev", "heldout"],
        default="dev",
        help="dev: SQuAD v1.1 dev, the public benchmark (default); heldout: the SQuADShifts paragraphs reader training "
        "holds out, our development set for design choices",
    )
    parser.add_argument("--out", help="report folder (default: eval/reports)")


def _speed_options(parser: argparse.ArgumentParser) -> None:
    sizes = ("seed", "reuters", "100k", "server")
    parser.add_argument("--sizes", default=",".join(sizes), help=f"comma-separated, from {', '.join(sizes)}")
    parser.add_argument("--quick", action="store_true", help="small Reuters subset and synthetic set, 1 run")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 3; 1 with --quick)")
    parser.add_argument("--ingest-runs", type=int, help="fresh-ingestion runs (default: --runs; 1 for Reuters)")
    parser.add_argument("--synthetic-total", type=int, help="passages in the synthetic size (default 100,000)")
    parser.add_argument("--quick-articles", type=int, default=300, help="Reuters articles in --quick mode")
    parser.add_argument("--rebuild-synthetic", action="store_true", help="rebuild the synthetic collection")
    parser.add_argument("--work", default=str(PROJECT_ROOT / "data" / "bench"), help="indexes and raw results")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--chart", default=str(PROJECT_ROOT / "docs" / "latency.png"))
    parser.add_argument("--report-only", action="store_true", help="rewrite the docs from the saved results")
    parser.add_argument("--merge", action="store_true", help="keep the saved results of the sizes not run now")


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark(
            "squad",
            "a public benchmark: SQuAD v1.1 dev on its own corpus and index",
            _squad_options,
            "qa.bench.squad",
        ),
        Benchmark(
            "speed",
            "ingestion, query latency, cold start and memory over corpus sizes; writes docs/benchmarks.md",
            _speed_options,
            "qa.bench.speed",
        ),
    )
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-command per benchmark under ``parser`` (``qa bench``); the chosen one is ``args.name``."""
    names = parser.add_subparsers(dest="name", required=True, metavar="NAME")
    for benchmark in BENCHMARKS.values():
        benchmark.add_options(names.add_parser(benchmark.name, help=benchmark.help, description=benchmark.help))


def run(args: argparse.Namespace, settings) -> int:
    """Run the benchmark ``args.name`` with the options parsed by ``add_arguments``."""
    return importlib.import_module(BENCHMARKS[args.name].module).main(args, settings)
