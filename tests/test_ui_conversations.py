"""Conversations that last and honest waiting, in headless Chromium against the real app (issue 16): a
conversation survives a reload, can be reopened, deleted and exported; another browser sees none of it; a question
sent while one is pending is answered next; Stop cancels a pending local-model answer and the chat goes on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import require
from test_ui_browser import CHROMIUM, FINISHED, TIKTOK_ID, TIKTOK_QUESTION, TIMEOUT_MS, ask, browser  # noqa: F401  (fixture)
from ui_server import running_app, seeded_copy

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOYBEAN_QUESTION = "Who chairs the American Soybean Association?"
LONG_QUESTION = "Summarize in detail what the articles say about the Madrid talks and TikTok."


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, embedder):
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (make browser-deps)")
    settings = seeded_copy(tmp_path_factory.mktemp("ui_conversations"), embedder)
    with running_app(settings) as url:
        yield url


def open_page(browser, url, **options):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True, **options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.wait_for_selector("#nq-chat")
    page.wait_for_selector("#nq-sources .nq-panel")
    return context, page


@pytest.fixture(scope="module")
def page(browser, app_url):  # noqa: F811
    context, page = open_page(browser, app_url)
    yield page
    context.close()


def open_sidebar(page) -> None:
    """Open the conversations sidebar unless it is open (closed, it is in the page but off-screen)."""
    past = page.locator("#nq-past")
    box = past.bounding_box()
    if box is None or box["x"] < 0:
        page.locator(".sidebar .toggle-button, button[aria-label*='sidebar' i]").first.click()
        page.wait_for_function("document.querySelector('#nq-past').getBoundingClientRect().x >= 0")


def listed(page) -> list[str]:
    return [t.strip() for t in page.locator("#nq-past label").all_inner_texts()]


def test_a_conversation_survives_a_reload_and_exports_as_markdown_and_json(page, tmp_path):
    answer = ask(page, TIKTOK_QUESTION)
    assert "170 million" in answer.inner_text()
    page.wait_for_function("!document.querySelector('#nq-export-md button, #nq-export-md')?.disabled")
    page.wait_for_timeout(500)  # the browser's storage is written after the answer

    page.reload()
    page.wait_for_selector(FINISHED)  # the conversation is back without asking again
    assert TIKTOK_QUESTION in page.locator("#nq-chat .nq-user").last.inner_text()
    assert "170 million" in page.locator("#nq-chat .nq-answer").last.inner_text()
    assert page.locator("#nq-sources .nq-card").count() >= 1  # and its sources panel

    open_sidebar(page)
    assert any(TIKTOK_QUESTION in label for label in listed(page))
    with page.expect_download() as download:
        page.locator("#nq-export-md").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert TIKTOK_QUESTION in markdown and "170 million" in markdown
    assert "Sources:" in markdown and TIKTOK_ID in markdown and "“" in markdown  # numbered sources with quotes
    with page.expect_download() as download:
        page.locator("#nq-export-json").click()
    body = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    (turn,) = body["turns"]
    assert turn["question"] == TIKTOK_QUESTION
    assert any(c["article_id"] == TIKTOK_ID for c in turn["answer"]["citations"])


def test_another_browser_sees_none_of_it(browser, app_url, page):  # noqa: F811
    context, other = open_page(browser, app_url)
    try:
        other.wait_for_timeout(1000)  # give a (wrong) restore the time to show up
        assert other.locator("#nq-chat .nq-answer").count() == 0
        open_sidebar(other)
        assert listed(other) == []
    finally:
        context.close()
    open_sidebar(page)
    assert len(listed(page)) == 1  # the first browser still has its own


def test_reopen_a_past_conversation_and_delete_it(page):
    page.locator("#nq-new").click()
    page.wait_for_function("document.querySelectorAll('#nq-chat .nq-answer').length === 0")
    ask(page, SOYBEAN_QUESTION)
    open_sidebar(page)
    page.wait_for_function("document.querySelectorAll('#nq-past label').length === 2")
    assert SOYBEAN_QUESTION in listed(page)[0]  # newest first

    page.locator("#nq-past label").filter(has_text="TikTok").click()
    page.wait_for_function(
        "q => document.querySelector('#nq-chat .nq-user')?.innerText.includes(q)", arg=TIKTOK_QUESTION
    )
    assert page.locator("#nq-chat .nq-user").count() == 1

    page.locator("#nq-forget").click()
    page.wait_for_function("document.querySelectorAll('#nq-past label').length === 1")
    assert SOYBEAN_QUESTION in listed(page)[0]
    assert page.locator("#nq-chat .nq-answer").count() == 0
    page.reload()
    page.wait_for_selector(FINISHED)
    assert SOYBEAN_QUESTION in page.locator("#nq-chat .nq-user").last.inner_text()  # the deleted one stays gone


def test_a_question_sent_while_one_is_pending_is_answered_next(page):
    page.locator("#nq-new").click()
    page.wait_for_function("document.querySelectorAll('#nq-chat .nq-answer').length === 0")
    box = page.locator("#nq-question textarea")
    box.fill(TIKTOK_QUESTION)
    box.press("Enter")
    page.wait_for_selector("#nq-chat .nq-pending, #nq-chat .nq-streaming, " + FINISHED)
    box.fill(SOYBEAN_QUESTION)  # typed and sent before the first answer is complete
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('{FINISHED}').length === 2", timeout=2 * TIMEOUT_MS)
    questions = page.locator("#nq-chat .nq-user").all_inner_texts()
    assert [TIKTOK_QUESTION in questions[0], SOYBEAN_QUESTION in questions[1]] == [True, True]


def test_stop_cancels_a_pending_local_model_answer_and_the_chat_goes_on(page):
    page.locator("#nq-new").click()
    page.wait_for_function("document.querySelectorAll('#nq-chat .nq-answer').length === 0")
    page.locator("#nq-generator input").click()
    page.get_by_role("option", name="Local model (llama.cpp)").click()
    box = page.locator("#nq-question textarea")
    box.fill(LONG_QUESTION)  # the small model writes until its token limit: seconds of drafting to stop
    box.press("Enter")
    stop = page.locator("#nq-question button.stop-button, #nq-question button:has-text('Stop')").first
    stop.wait_for(state="visible")
    page.wait_for_selector("#nq-chat .nq-drafting")  # the model is writing its answer
    stop.click()
    page.wait_for_function("document.querySelectorAll('#nq-chat .nq-pending, #nq-chat .nq-drafting').length === 0")
    page.wait_for_timeout(1500)  # a cancelled answer must not turn up later either
    assert page.locator("#nq-chat .nq-answer").count() == 0  # nothing half-answered is left in the chat
    assert box.input_value() == LONG_QUESTION  # the stopped question is back in the box, not lost

    page.locator("#nq-generator input").click()
    page.get_by_role("option", name="Extractive: quotes the articles").click()
    answer = ask(page, SOYBEAN_QUESTION)
    assert "Josh Gackle" in answer.inner_text()


def test_the_sources_panel_has_one_card_per_article(page):
    page.locator("#nq-new").click()
    page.wait_for_function("document.querySelectorAll('#nq-chat .nq-answer').length === 0")
    answer = ask(page, "Describe what Wang Jingtao said about TikTok after the Madrid talks.")
    markers = answer.locator("a.cite")
    assert markers.count() >= 2
    section = page.locator("#nq-sources .nq-turn:not([hidden])")
    cards = section.locator(".nq-card")
    assert cards.count() == 1 and TIKTOK_ID in cards.first.locator(".nq-id").inner_text()  # one article
    assert cards.first.locator(".nq-quote").count() == markers.count()  # each of its passages inside the card
    markers.nth(1).click()
    page.locator("#nq-popover").wait_for(state="visible")
    active = section.locator(".nq-quote.nq-active")
    assert active.count() == 1 and active.get_attribute("id").endswith("-2")
