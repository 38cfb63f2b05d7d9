"""The Reuters (ARFF) and JSONL importers, on tiny files made here; no models, no network."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from index.ingest import load_corpus
from index.load import corpus_files
from qa.importers import ImporterError, import_jsonl, safe_name
from qa.reuters import import_reuters_arff, parse_arff_row, reuters_article

ARFF = r"""@relation 'Reuters-21578 Corn ModApte Train'

@attribute Text string
@attribute class-att {0,1}

@data

'BAHIA COCOA REVIEW Showers continued throughout the week in\nthe Bahia cocoa zone, alleviating the drought since early\nJanuary, Comissaria Smith said in its weekly review.\n    Arrivals for the week ended February 22 were 155,221 bags\nof 60 kilos.\n Reuter\n&#3;',0
'CHAMPION PRODUCTS &lt;CH> APPROVES STOCK SPLIT Champion Products Inc\'s board\napproved a \"three-for-two\" stock split.\n Reuter\n&#3;',1
'ASSETS OF MONEY MARKET MUTUAL FUNDS ROSE 720.4 MLN DLRS IN LATEST WEEK\n ',0
"""


def _arff(tmp_path: Path, name: str = "ReutersCorn-train.arff", gz: bool = False) -> Path:
    path = tmp_path / name
    data = ARFF.encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def test_arff_row_parsing_handles_escapes_and_bare_values():
    assert parse_arff_row(r"'it\'s a \"test\"\nline',0") == ['it\'s a "test"\nline', "0"]
    assert parse_arff_row("1.5, 'a,b' ,x") == ["1.5", "a,b", "x"]
    with pytest.raises(ValueError):
        parse_arff_row("'never closed,0")


def test_reuters_text_gets_a_headline_and_reflowed_paragraphs():
    headline, text = reuters_article(
        "BAHIA COCOA REVIEW Showers continued in\nthe zone.\n    Arrivals were 155,221 bags\nof 60 kilos.\n Reuter\n&#3;"
    )
    assert headline == "BAHIA COCOA REVIEW"
    assert text == "BAHIA COCOA REVIEW\nShowers continued in the zone.\nArrivals were 155,221 bags of 60 kilos.\n"


@pytest.mark.parametrize("gz", [False, True])
def test_reuters_import_writes_loadable_articles(tmp_path, gz):
    out = tmp_path / "corpus"
    report = import_reuters_arff([_arff(tmp_path, gz=gz)], out)
    assert report.articles == 3 and not report.bad
    names = sorted(p.name for p in corpus_files(out))
    assert names == [
        "train-0001-bahia-cocoa-review.txt",
        "train-0002-champion-products-ch-approves-stock.txt",
        "train-0003-assets-of-money-market-mutual-funds-rose.txt",
    ]
    articles, skipped = load_corpus(out)
    assert not skipped
    by_id = {a.id: a for a in articles}
    cocoa = by_id["train-0001-bahia-cocoa-review"]
    assert cocoa.title == "BAHIA COCOA REVIEW"
    assert "Reuter" not in cocoa.text and "&#3;" not in cocoa.text and "\x03" not in cocoa.text
    assert "the Bahia cocoa zone, alleviating the drought" in cocoa.text  # wrapped lines joined
    champion = by_id["train-0002-champion-products-ch-approves-stock"]
    assert champion.title == "CHAMPION PRODUCTS <CH> APPROVES STOCK SPLIT"
    assert 'Champion Products Inc\'s board approved a "three-for-two" stock split.' in champion.text
    manifest = [json.loads(line) for line in (out / ".manifest.jsonl").read_text().splitlines()]
    assert [m["label"] for m in manifest] == ["0", "1", "0"]

    again = import_reuters_arff([_arff(tmp_path, gz=gz)], out)  # unchanged files are not rewritten
    assert again.written == [] and len(again.unchanged) == 3


def test_reuters_import_rejects_a_file_without_rows(tmp_path):
    empty = tmp_path / "ReutersCorn-test.arff"
    empty.write_text("@relation x\n@attribute Text string\n@data\n")
    with pytest.raises(ImporterError, match="no articles"):
        import_reuters_arff([empty], tmp_path / "out")


def test_jsonl_good_and_bad_lines(tmp_path):
    lines = [
        json.dumps({"id": "a1", "title": "Port strike ends", "text": "Dock workers returned on Monday.",
                    "published": "2024-05-06", "url": "https://example.com/a1"}),
        "",  # blank lines are not errors
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": "a2", "title": "No text"}),
        json.dumps({"id": "a1", "text": "Same id again."}),
        json.dumps({"id": "../../etc/passwd", "title": "Sneaky", "text": "Path traversal attempt in the id."}),
        json.dumps({"text": "An article without id or title. It still counts."}),
        json.dumps({"id": 7, "title": "Numeric id", "text": "Ids may be numbers."}),
        json.dumps({"id": "x", "title": ["not", "a", "string"], "text": "Bad title type."}),
    ]  # fmt: skip
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(lines) + "\n")
    out = tmp_path / "corpus"
    report = import_jsonl(dump, out)

    bad = {b.line: b.reason for b in report.bad}
    assert sorted(bad) == [3, 4, 5, 6, 10]
    assert "not valid JSON" in bad[3]
    assert "JSON object" in bad[4]
    assert '"text"' in bad[5]
    assert "duplicate id 'a1'" in bad[6] and "line 1" in bad[6]
    assert '"title" must be a string' in bad[10]
    assert report.articles == 4

    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert "a1.txt" in files and "7.txt" in files
    assert all("/" not in f and not f.startswith(".") and f.endswith(".txt") for f in files)
    assert all(p.resolve().parent == out.resolve() for p in out.iterdir())  # nothing escaped the folder
    articles, skipped = load_corpus(out)
    assert not skipped and len(articles) == 4
    a1 = next(a for a in articles if a.id == "a1")
    assert a1.title == "Port strike ends" and a1.published == "2024-05-06"
    assert a1.text.endswith("Dock workers returned on Monday.")
    manifest = {m["id"]: m for m in map(json.loads, (out / ".manifest.jsonl").read_text().splitlines())}
    assert manifest["a1"]["url"] == "https://example.com/a1"
    assert manifest["../../etc/passwd"]["file"].startswith("etc-passwd-")


def test_safe_names_are_stable_distinct_and_bounded():
    assert safe_name("reuters-0001") == "reuters-0001"
    assert safe_name("a/b") != safe_name("a:b")  # both reduce to "a-b": the hash keeps them apart
    assert safe_name("a/b") == safe_name("a/b")
    assert not safe_name("...hidden").startswith(".")
    assert len(safe_name("x" * 500)) <= 80
    assert safe_name("///").startswith("article-")


def test_reimport_removes_only_files_an_earlier_import_wrote(tmp_path):
    out = tmp_path / "corpus"
    first = tmp_path / "first.jsonl"
    first.write_text(json.dumps({"id": "old", "text": "Old story."}) + "\n")
    import_jsonl(first, out)
    (out / "mine.txt").write_text("A file the user put here.\n")
    second = tmp_path / "second.jsonl"
    second.write_text(json.dumps({"id": "new", "text": "New story."}) + "\n")
    report = import_jsonl(second, out)
    assert report.removed == ["old.txt"] and report.written == ["new.txt"]
    assert sorted(p.name for p in out.iterdir()) == [".manifest.jsonl", "mine.txt", "new.txt"]
