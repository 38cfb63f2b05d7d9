"""The chat by keyboard alone, in headless Chromium against the real app (issue 16): a citation marker opens its
source with focus on "Open full article"; the article dialog keeps focus inside it and gives it back to what opened
it; the question box counts its characters against the limit."""

from __future__ import annotations

import pytest
from test_ui_browser import TIKTOK_QUESTION, ask
from test_ui_conversations import app_url, browser, page  # noqa: F401  (fixtures; module-scoped: this module's own)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def focused(page) -> str:  # noqa: F811
    return page.evaluate(
        "() => { const e = document.activeElement; return (e.className || e.tagName) + '|' + e.textContent.trim(); }"
    )


def test_a_source_opens_and_closes_by_keyboard_and_focus_comes_back(page):  # noqa: F811
    ask(page, TIKTOK_QUESTION)
    marker = page.locator("#nq-chat .nq-answer a.cite").first
    marker.focus()
    page.keyboard.press("Enter")
    page.locator("#nq-popover.nq-pinned").wait_for(state="visible")
    assert focused(page).startswith("nq-open|Open full article")  # reachable without a mouse

    page.keyboard.press("Enter")
    dialog = page.locator("#nq-article .nq-dialog")
    dialog.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#nq-article-title').innerText !== 'Loading the article…'")
    for _ in range(4):  # Tab and Shift+Tab never leave the dialog
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('nq-article').contains(document.activeElement)")
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.getElementById('nq-article').contains(document.activeElement)")

    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.matches('a.cite')"), focused(page)  # back to the marker

    card_button = page.locator("#nq-sources .nq-turn:not([hidden]) .nq-open").first
    card_button.focus()
    page.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('nq-open')")  # back to the card's button


def test_the_question_box_counts_its_characters(page):  # noqa: F811
    box = page.locator("#nq-question textarea")
    box.fill("x" * 25)
    page.wait_for_function("document.getElementById('nq-count')?.innerText === '25 / 2000'")
    box.fill("x" * 2000)
    page.wait_for_function("document.getElementById('nq-count')?.innerText === '2000 / 2000'")
    assert "nq-count-full" in page.locator("#nq-count").get_attribute("class")
    box.fill("")
