"""Accessibility and the phone layout, in headless Chromium against the real app (issue 16): axe-core (from npm,
pinned in the Makefile's axe-deps) finds no serious or critical violation on the chat and corpus tabs in the light
and dark themes; at 390x844 the page opens at its header, the sources follow the chat, the options are folded below
them, and no two of the page's main parts overlap; the theme toggle is kept across a reload.

Screenshots of the chat (desktop) and the phone layout go to tests/screenshots/, or to $QA_SCREENSHOTS when set
(``make screenshots`` writes the README's into docs/screenshots/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import require
from test_ui_browser import FINISHED, SCREENSHOTS, TIKTOK_QUESTION, ask
from test_ui_conversations import app_url, browser  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}


def screenshot_path(name: str) -> Path:
    folder = Path(os.environ.get("QA_SCREENSHOTS") or SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


def serious_violations(page) -> list[str]:
    require(AXE.exists(), f"{AXE} is missing: make axe-deps")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""
    )
    return found


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_no_serious_accessibility_violations_on_the_chat_and_corpus_tabs(browser, app_url, theme):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme=theme)
    page = context.new_page()
    try:
        page.goto(app_url + ("?__theme=dark" if theme == "dark" else ""))
        page.wait_for_selector("#nq-chat")
        ask(page, TIKTOK_QUESTION)
        page.wait_for_timeout(600)
        if theme == "light":
            page.screenshot(path=str(screenshot_path("chat")))
        assert page.evaluate("document.body.classList.contains('dark')") == (theme == "dark")
        assert serious_violations(page) == []
        page.get_by_role("tab", name="Corpus").click()
        page.wait_for_selector("#nq-articles")
        assert serious_violations(page) == []
    finally:
        context.close()


def boxes(page, selectors: list[str]) -> dict[str, dict]:
    out = {}
    for selector in selectors:
        box = page.locator(selector).first.bounding_box()
        assert box is not None, f"{selector} is not shown"
        out[selector] = box
    return out


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"] - 1
        and b["x"] < a["x"] + a["width"] - 1
        and a["y"] < b["y"] + b["height"] - 1
        and b["y"] < a["y"] + a["height"] - 1
    )


def test_the_phone_layout_opens_at_the_header_and_nothing_overlaps(browser, app_url):  # noqa: F811
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(app_url)
        page.wait_for_selector("#nq-chat")
        page.wait_for_timeout(700)  # the page's script folds the options and scrolls to the top
        assert page.evaluate("window.scrollY") == 0
        header = page.locator("#nq-header h1").bounding_box()
        assert header is not None and 0 <= header["y"] and header["y"] + header["height"] <= PHONE["height"]
        assert page.locator("#nq-options .label-wrap.open").count() == 0  # folded

        ask(page, TIKTOK_QUESTION)
        page.wait_for_timeout(500)
        parts = [
            "#nq-header",
            "#nq-chat",
            "#nq-question",
            "#nq-sources .nq-panel",
            "#nq-options",
            "#nq-chat .nq-user",
            "#nq-chat .nq-answer",
        ]
        found = boxes(page, parts)
        for big in ["#nq-header", "#nq-chat", "#nq-question", "#nq-sources .nq-panel", "#nq-options"]:
            box = found[big]
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, f"{big} is wider than the phone"
        separate = ["#nq-header", "#nq-chat", "#nq-question", "#nq-sources .nq-panel", "#nq-options"]
        for i, a in enumerate(separate):
            for b in separate[i + 1 :]:
                assert not overlap(found[a], found[b]), f"{a} overlaps {b}"
        order = [found[s]["y"] for s in ["#nq-chat", "#nq-question", "#nq-sources .nq-panel", "#nq-options"]]
        assert order == sorted(order), "on a phone: chat, question, sources, then the options"
        icons = page.locator("#nq-chat button[aria-label], #nq-chat .icon-button-wrapper button")
        for k in range(icons.count()):
            icon = icons.nth(k).bounding_box()
            if icon:
                assert not overlap(icon, found["#nq-chat .nq-user"]), "a chat icon covers the question"
        page.screenshot(path=str(screenshot_path("phone")), full_page=True)

        page.get_by_role("tab", name="Corpus").click()  # the corpus table reads on a phone: title and date
        page.wait_for_selector("#nq-articles .body-cell")
        headers = page.evaluate(
            """() => Array.from(document.querySelectorAll('#nq-articles th'))
                 .filter(th => getComputedStyle(th).display !== 'none').map(th => th.innerText.trim())"""
        )
        assert headers == ["Title", "Published"], headers
        title = page.locator('#nq-articles .body-cell[data-col="0"]').first.bounding_box()
        assert title is not None and title["width"] > PHONE["width"] * 0.5  # not a sliver of a column
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_the_theme_toggle_is_kept_across_a_reload(browser, app_url):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="light")
    page = context.new_page()
    try:
        page.goto(app_url)
        page.wait_for_selector("#nq-theme")
        assert not page.evaluate("document.body.classList.contains('dark')")
        page.locator("#nq-theme").click()
        assert page.evaluate("document.body.classList.contains('dark')")
        assert page.locator("#nq-theme").get_attribute("aria-pressed") == "true"
        page.reload()
        page.wait_for_selector(FINISHED + ", #nq-chat")
        page.wait_for_function("document.body.classList.contains('dark')")
        page.locator("#nq-theme").click()
        page.reload()
        page.wait_for_selector("#nq-theme")
        page.wait_for_timeout(400)
        assert not page.evaluate("document.body.classList.contains('dark')")
    finally:
        context.close()
