"""The protections ``make mutants`` breaks, one exact edit each, and the tests that must notice: the table is
data, ``eval/protections.toml``; this module reads it into ``MUTANTS``.

A mutant's ``original`` must occur exactly once in its file. ``tests`` are pytest arguments run in the mutated
copy: test files (with ``-k``/``-m`` where a file also holds slow tests that cannot notice the edit).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).with_name("protections.toml")


@dataclass(frozen=True)
class Mutant:
    protection: str
    name: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]


def load_mutants(path: Path = TABLE) -> list[Mutant]:
    """The table's mutants in order; a mutant's ``tests`` is a group of the ``[tests]`` table or a list."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    groups = data["tests"]
    mutants = []
    for row in data["mutant"]:
        tests = groups[row["tests"]] if isinstance(row["tests"], str) else row["tests"]
        fields = {key: row[key] for key in ("protection", "name", "file", "original", "replacement")}
        mutants.append(Mutant(**fields, tests=tuple(tests)))
    return mutants


MUTANTS = load_mutants()
