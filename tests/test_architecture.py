"""The structure the code keeps (issue 18): layers that point one way, modules of a readable size, and a
mutation table (eval/protections.toml) whose every edit still applies to the code it names."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_mutants():
    """eval/ is a folder of tools, not a package on the import path: load its table the way eval/mutants.py does."""
    spec = importlib.util.spec_from_file_location("protections", ROOT / "eval" / "protections.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module.MUTANTS


MUTANTS = _load_mutants()
PACKAGES = ("index", "qa", "ui")
MAX_MODULE_LINES = 400
# Which packages each layer may import: index/ is the bottom, qa/ answers on it, ui/ sits on top.
ALLOWED = {"index": {"index"}, "qa": {"index", "qa"}, "ui": {"index", "qa", "ui"}}
# The command line sits on top beside the app (`qa serve` starts it), though it lives in qa/.
ENTRY_POINTS = {"qa/cli.py": {"index", "qa", "ui"}}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_packages(path: Path) -> set[str]:
    """The project packages a module imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(PACKAGES)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_layers_point_one_way(package):
    wrong = {}
    for path in modules(package):
        name = str(path.relative_to(ROOT))
        wrong[name] = sorted(imported_packages(path) - ENTRY_POINTS.get(name, ALLOWED[package]))
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_import_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from qa.settings import Settings\n    import ui.app\n", encoding="utf-8")
    assert imported_packages(module) == {"qa", "ui"}


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_too_long_to_read(package):
    long = {}
    for path in modules(package):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            long[str(path.relative_to(ROOT))] = lines
    assert long == {}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.file}:{m.name}")
def test_every_mutant_still_applies(mutant):
    """`make mutants` breaks each protection by replacing ``original``, which must occur once in its file: a
    refactoring that moves the code must move the mutant with it, or the protection goes unchecked."""
    text = (ROOT / mutant.file).read_text(encoding="utf-8")
    assert text.count(mutant.original) == 1
    assert mutant.replacement != mutant.original
    for test in mutant.tests:
        if test.startswith("tests/"):
            assert (ROOT / test.split("::")[0]).exists(), test
