"""``make mutants``: break each listed protection one exact edit at a time and check that a test notices.

Each mutant (``eval/protections.toml``) is one (file, original text, replacement) edit. The harness copies the
working tree (the files git tracks plus the untracked ones it does not ignore, ``qa/reader_model`` among them)
into a temporary folder, checks that the named tests pass there unmutated, then for each mutant writes the
edited file into the copy, runs the named tests and restores the file. The working tree is never written.
A mutant is *killed* when a test fails (the first failing test is named), *SURVIVED* when they all pass.

    python eval/mutants.py [--only TEXT] [--jobs N] [--list] [--markdown FILE]

Exit code 0 when every mutant is killed, 1 when one survived or the unmutated tests failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from index.offline import child_env

sys.path.insert(0, str(Path(__file__).resolve().parent))
from protections import MUTANTS, Mutant  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 900  # seconds for one mutant's tests
_FAILED = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.M)  # test ids may hold spaces: "[Jane Gackle ...]"


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    killed_by: str  # the first failing test, "" when it survived
    seconds: float

    @property
    def survived(self) -> bool:
        return not self.killed_by


def repo_files(root: Path) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in out.decode().split("\0") if name and (root / name).is_file()]


def copy_tree(root: Path, dest: Path) -> Path:
    for name in repo_files(root):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    return dest


def mutated(text: str, mutant: Mutant) -> str:
    """``text`` with the mutant's edit; ValueError unless its original text occurs exactly once."""
    count = text.count(mutant.original)
    if count != 1:
        raise ValueError(f"{mutant.file}: the original text of {mutant.name!r} occurs {count} times, not once")
    return text.replace(mutant.original, mutant.replacement)


def pytest_command(tests: tuple[str, ...]) -> list[str]:
    return ["nice", "-n", "19", sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-rfE", *tests]


def run_tests(copy: Path, tests: tuple[str, ...]) -> tuple[bool, str]:
    """(passed, output) of the tests in the copy, with the copy first on the import path."""
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTHONPATH")}
    env = child_env(base, PYTHONPATH=str(copy))
    try:
        done = subprocess.run(pytest_command(tests), cwd=copy, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"TIMEOUT after {TIMEOUT} s"
    return done.returncode == 0, done.stdout + done.stderr


def first_failure(output: str) -> str:
    match = _FAILED.search(output)
    if match:
        return match.group(1)
    return output.strip().splitlines()[-1] if output.strip() else "failed without output"


def run_mutant(copy: Path, mutant: Mutant) -> Outcome:
    path = copy / mutant.file
    original = path.read_text(encoding="utf-8")
    started = time.monotonic()
    try:
        path.write_text(mutated(original, mutant), encoding="utf-8")
        passed, output = run_tests(copy, mutant.tests)
    finally:
        path.write_text(original, encoding="utf-8")
    return Outcome(mutant, "" if passed else first_failure(output), time.monotonic() - started)


def baseline(copies: list[Path], mutants: list[Mutant]) -> list[str]:
    """The test selections that fail with no mutant applied (their kills would mean nothing), run as many at a
    time as there are copies."""
    selections = list(dict.fromkeys(m.tests for m in mutants))

    def one(k: int) -> tuple[str, bool]:
        passed, output = run_tests(copies[k % len(copies)], selections[k])
        name = " ".join(selections[k])
        print(f"baseline {name}: {'passed' if passed else 'FAILED ' + first_failure(output)}", flush=True)
        return name, passed

    groups = [range(w, len(selections), len(copies)) for w in range(len(copies))]  # one worker per copy
    with ThreadPoolExecutor(max_workers=len(copies)) as pool:
        results = [r for done in pool.map(lambda g: [one(k) for k in g], groups) for r in done]
    return [name for name, passed in results if not passed]


def table(outcomes: list[Outcome]) -> str:
    rows = ["| protection | mutant | result |", "|---|---|---|"]
    for o in outcomes:
        result = "**SURVIVED**" if o.survived else f"killed by `{o.killed_by}`"
        rows.append(f"| {o.mutant.protection} | `{o.mutant.file}`: {o.mutant.name} | {result} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        default="",
        help="mutants whose protection, file or name contains this text (or one of several, split by |)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once, each in its own copy")
    parser.add_argument("--list", action="store_true", help="list the mutants and check their edits apply")
    parser.add_argument("--markdown", default="", help="also write the table to this file")
    args = parser.parse_args(argv)

    wanted = [w.strip().lower() for w in args.only.split("|")]
    chosen = [m for m in MUTANTS if any(w in f"{m.protection} {m.file} {m.name}".lower() for w in wanted)]
    for m in chosen:  # every edit must apply to the working tree as it is, before anything runs
        mutated((ROOT / m.file).read_text(encoding="utf-8"), m)
    if args.list:
        for m in chosen:
            print(f"{m.protection:32} {m.file:32} {m.name}  [{' '.join(m.tests)}]")
        print(f"{len(chosen)} mutants")
        return 0

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        Path(tmp).chmod(0o755)  # the read-only index test runs qa from the copy as an unprivileged user
        copies = [copy_tree(ROOT, Path(tmp) / f"copy{i}") for i in range(max(1, args.jobs))]
        broken = baseline(copies, chosen)
        if broken:
            print(f"the tests fail with no mutant applied: {broken}; fix them first", file=sys.stderr)
            return 1
        free = list(copies)

        def job(mutant: Mutant) -> Outcome:
            copy = free.pop()
            try:
                outcome = run_mutant(copy, mutant)
            finally:
                free.append(copy)
            verdict = "SURVIVED" if outcome.survived else f"killed by {outcome.killed_by}"
            print(f"{mutant.protection} / {mutant.name}: {verdict} ({outcome.seconds:.0f} s)", flush=True)
            return outcome

        with ThreadPoolExecutor(max_workers=len(copies)) as pool:
            outcomes = list(pool.map(job, chosen))
    text = table(outcomes)
    survived = sum(o.survived for o in outcomes)
    summary = f"{len(outcomes)} mutants, {len(outcomes) - survived} killed, {survived} survived"
    print(f"\n{text}\n\n{summary} in {(time.monotonic() - started) / 60:.1f} min")
    if args.markdown:
        Path(args.markdown).write_text(text + "\n\n" + summary + "\n", encoding="utf-8")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
