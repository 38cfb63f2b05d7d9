"""Nothing replaced by surprise: an upload never silently replaces an article (same name, a name differing in
case or extension, or the same text) unless the caller asks to replace; files of one batch never overwrite
each other; deleting needs an explicit confirmation; article-derived text in the corpus tab is inert."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from ui import corpus
from ui.app import App, delete_phrase

pytestmark = pytest.mark.slow

HARBOUR = "Harbour opens\n\nPORT X - The harbour opened on Tuesday after nine years of work, officials said.\n"
BRIDGE = "Bridge closes\n\nPORT Y - The old bridge closed on Monday for repairs that will take a year, the city said.\n"


def _files(tmp_path: Path, **named: str) -> list[str]:
    folder = tmp_path / "gradio-tmp"
    folder.mkdir(exist_ok=True)
    paths = []
    for name, text in named.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def _upload(app: App, tmp_path: Path, replace: bool = False, **named: str) -> str:
    *_, last = app.upload(_files(tmp_path, **named), replace)  # follows the change to its end
    return last[0]


def _rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("linkify").render(markdown)


def test_an_existing_name_or_text_is_replaced_only_when_asked(fresh_settings, tmp_path):
    app = App(fresh_settings)
    root = Path(fresh_settings.corpus_dir)
    assert "Added **harbour**" in _upload(app, tmp_path, **{"harbour.txt": HARBOUR})

    for name, text in [("harbour.txt", BRIDGE), ("Harbour.TXT", BRIDGE), ("harbour.md", BRIDGE), ("copy.txt", HARBOUR)]:
        status = _upload(app, tmp_path, **{name: text})
        assert "refused" in status and "Replace existing articles" in status, (name, status)
        assert sorted(p.name for p in root.iterdir()) == ["harbour.txt"]
        assert (root / "harbour.txt").read_text() == HARBOUR

    status = _upload(app, tmp_path, replace=True, **{"harbour.txt": BRIDGE})
    assert "Replaced **harbour**" in status and (root / "harbour.txt").read_text() == BRIDGE
    status = _upload(app, tmp_path, replace=True, **{"bridge.txt": BRIDGE})  # same text under another name
    assert "Replaced **bridge**" in status and sorted(p.name for p in root.iterdir()) == ["bridge.txt"]


def test_names_colliding_within_one_batch_are_all_kept_and_reported(fresh_settings, tmp_path):
    app = App(fresh_settings)
    root = Path(fresh_settings.corpus_dir)
    status = _upload(
        app,
        tmp_path,
        **{
            "新闻.txt": HARBOUR,
            "报告.txt": BRIDGE,
            "x.txt": HARBOUR.replace("nine", "ten"),
            "X.TXT": BRIDGE.replace("a year", "two years"),
        },
    )
    assert sorted(p.name for p in root.iterdir()) == sorted(["新闻.txt", "报告.txt", "x.txt", "X-2.txt"])
    assert "renamed: another file of this upload is X.txt" in status
    assert (root / "X-2.txt").read_text().endswith("two years, the city said.\n")


def test_delete_needs_the_explicit_confirmation(fresh_settings, tmp_path):
    app = App(fresh_settings)
    root = Path(fresh_settings.corpus_dir)
    _upload(app, tmp_path, **{"harbour.txt": HARBOUR, "bridge.txt": BRIDGE})
    for confirmation in ("", True, "yes", delete_phrase(["harbour", "bridge"])):
        status = list(app.delete(["harbour"], confirmation))[-1][0]
        assert status.startswith("Nothing deleted") and "delete harbour" in status
    assert sorted(p.name for p in root.iterdir()) == ["bridge.txt", "harbour.txt"]
    status = list(app.delete(["harbour"], delete_phrase(["harbour"])))[-1][0]
    assert "Deleted **harbour**" in status and [p.name for p in root.iterdir()] == ["bridge.txt"]


def test_markdown_in_titles_and_names_stays_text_in_the_corpus_status(fresh_settings, tmp_path):
    app = App(fresh_settings)
    pixel = "![pix](http://127.0.0.1:9/track.png) Harbour *opens* <img src=x onerror=alert(1)> [link](http://e.x)"
    status = _upload(app, tmp_path, **{"pixel.txt": f"{pixel}\n\n{HARBOUR}", "[a](x).html": "no markup"})
    html = _rendered(status)
    assert "<img" not in html and "<a " not in html and "<em>" not in html
    assert "track.png" in html  # shown, as text
    assert corpus.find_article(fresh_settings, "pixel").title == pixel
