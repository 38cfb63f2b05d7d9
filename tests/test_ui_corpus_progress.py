"""Upload batches in the corpus tab, in headless Chromium against the real app (issues 15 and 16): each batch has a
progress bar with its stage and count while it waits and runs, a second batch queued behind a running one shows its
own bar waiting, the bars pass axe-core, and each is replaced by its result; the second batch is a text PDF, which
is then answered with a citation naming its page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_ingest_queue import _long_article
from test_pdf import PAGES, text_pdf
from test_ui_accessibility import serious_violations
from test_ui_browser import (  # noqa: F401  (app_url, browser, page, requests_seen, ui_settings: fixtures)
    app_url,
    ask,
    browser,
    new_conversation,
    page,
    requests_seen,
    shot,
    ui_settings,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATUS = "#nq-corpus-status"
COUNTED = re.compile(r"Upload of 2 files: embedding passages, ([\d,]+)/900 passages")


def _status_has(page, text: str) -> None:  # noqa: F811  (a page, not the fixture)
    page.wait_for_function("t => document.querySelector('#nq-corpus-status').innerText.includes(t)", arg=text)


def test_each_upload_batch_has_a_progress_bar_then_its_result(page, ui_settings, tmp_path):  # noqa: F811
    corpus = Path(ui_settings.corpus_dir)
    big = []
    for i in range(2):  # 2 x 450 passages: seconds of embedding, reported batch by batch
        big.append(tmp_path / f"council{i}.txt")
        big[-1].write_text(_long_article(450, f"Council meets, part {i}"))
    pdf = tmp_path / "ferry pier.pdf"
    pdf.write_bytes(text_pdf(PAGES, title="Council approves new ferry pier"))

    page.get_by_role("tab", name="Corpus").click()
    box = page.locator("#nq-upload input[type=file]")
    box.set_input_files([str(path) for path in big])
    page.wait_for_selector(f"{STATUS} progress")
    box.set_input_files([str(pdf)])  # queued behind the first batch
    _status_has(page, "Upload of 1 file: waiting behind 1 change to the corpus")
    page.wait_for_selector(f"{STATUS} progress[value]:not([value='0'])")  # a count on the way, before the end
    bars = page.locator(f"{STATUS} progress")
    text = page.locator(STATUS).inner_text()
    assert COUNTED.search(text) and "Upload of 1 file: waiting" in text, text
    first = bars.first
    assert first.get_attribute("max") == "900" and 0 < int(first.get_attribute("value")) < 900
    assert COUNTED.search(page.get_by_role("progressbar").first.evaluate("e => e.labels[0].innerText"))
    assert COUNTED.search(first.get_attribute("title"))
    assert bars.nth(1).get_attribute("value") is None  # waiting: no count yet
    assert serious_violations(page) == []
    shot(page, "14_upload_progress")

    _status_has(page, "Added ferry_pier")
    text = page.locator(STATUS).inner_text()
    assert page.locator(f"{STATUS} progress").count() == 0  # every bar replaced by its result
    assert "Added council0" in text and "Added council1" in text and "Index updated" in text
    assert (corpus / "ferry_pier.pdf").read_bytes() == pdf.read_bytes()
    shot(page, "15_upload_results")

    new_conversation(page)
    answer = ask(page, "How much did the council approve for the new ferry pier?")
    assert "3.2 million euros" in answer.inner_text()
    card = page.locator("#nq-sources .nq-turn:not([hidden]) .nq-card", has_text="ferry_pier").first
    assert "p. 3" in card.locator(".nq-page").inner_text()
