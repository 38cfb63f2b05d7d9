"""Apertium translation (index/translation.py): real Apertium where the test is about translating, small scripts
standing in for a broken or slow one where it is about what happens then (nothing translated, nothing raised)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import require

from index.translation import Translator


@pytest.fixture(scope="module")
def apertium() -> Translator:
    translator = Translator()
    require(translator.can_translate("es"), "Apertium with its Spanish-English pair (make translation-deps)")
    return translator


def test_spanish_is_put_in_english_one_text_per_line(apertium):
    out = apertium.to_english("es", ["¿Cuántos usuarios estadounidenses\ntiene TikTok?", "Tercera línea", ""])
    assert out == ["How many American users has TikTok?", "Third line", ""]
    assert apertium.to_english("es", ["Tercera línea"]) == ["Third line"]  # from the cache


def test_english_and_languages_without_a_pair_are_not_translated(apertium):
    assert apertium.to_english("en", ["Hello"]) is None
    assert apertium.to_english("xx", ["Hello"]) is None
    assert not apertium.can_translate("en")


def _script(folder: Path, body: str) -> str:
    path = folder / "apertium"
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.mark.parametrize(
    "body",
    [
        'if [ "$1" = "-l" ]; then echo spa-eng; exit 0; fi\nexit 3\n',  # fails
        'if [ "$1" = "-l" ]; then echo spa-eng; exit 0; fi\ncat >/dev/null; echo one\n',  # loses a line
        'if [ "$1" = "-l" ]; then echo spa-eng; exit 0; fi\nsleep 5\n',  # too slow
    ],
    ids=["fails", "loses-a-line", "too-slow"],
)
def test_a_broken_apertium_translates_nothing_and_raises_nothing(tmp_path, body):
    translator = Translator(_script(tmp_path, body), timeout=1.0)
    assert translator.can_translate("es")
    assert translator.to_english("es", ["uno", "dos"]) is None
    # A call that timed out is not made again (every question would wait for it); a failing one may be retried.
    assert translator.can_translate("es") == ("sleep" not in body)


def test_without_apertium_nothing_is_translated(tmp_path):
    translator = Translator(str(tmp_path / "no-such-apertium"))
    assert translator.pairs == frozenset() and translator.to_english("es", ["hola"]) is None


def test_a_long_batch_is_sent_in_runs_and_comes_back_in_order(tmp_path):
    """Each call echoes its lines upper-cased; more than MAX_CHARS of text takes several calls."""
    from index import translation

    upper = _script(tmp_path, 'if [ "$1" = "-l" ]; then echo spa-eng; exit 0; fi\ntr a-z A-Z\n')
    lines = [f"linea {i} " + "x" * 3000 for i in range(20)]  # 60,000 characters
    out = Translator(upper).to_english("es", lines)
    assert out == [line.upper() for line in lines]
    assert len(list(translation._batches(lines))) == 4  # six lines of 3,009 characters per run


def test_the_translation_setting():
    from qa.settings import Settings, SettingsError

    assert Settings.from_env({"QA_TRANSLATE": "0"}).translate == 0
    with pytest.raises(SettingsError, match="QA_TRANSLATE must be 0 or 1"):
        Settings.from_env({"QA_TRANSLATE": "2"})
