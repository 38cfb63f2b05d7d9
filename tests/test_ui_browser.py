"""The real app in headless Chromium (Debian's /usr/bin/chromium via playwright; nothing is downloaded).

One app server and one browser page for the module, over a private ingested copy of the seed corpus;
the tests run in file order and each leaves the page usable for the next. Screenshots go to
tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import require
from ui_server import running_app, seeded_copy

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TIMEOUT_MS = 60_000
TIKTOK_ID = "000_2586af1d1969f1c3"
TIKTOK_QUESTION = "How many American users does TikTok have?"
ZORBLAT = """Zorblat harbour opens to cargo ships

PORT ZORBLAT — The Zorblat harbour opened on 14 March 2031 after nine years of construction, the regional \
port authority said on Tuesday.

The harbour can berth 42 container ships at once, making it the largest port on the Vellian coast, \
according to harbour master Ilse Marrow.
"""
ZORBLAT_ID = "zorblat_harbour_draft"  # the safe name of "zorblat harbour (draft).txt"


@pytest.fixture(scope="module")
def ui_settings(tmp_path_factory, embedder):
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (make browser-deps)")
    return seeded_copy(tmp_path_factory.mktemp("ui_browser"), embedder)


@pytest.fixture(scope="module")
def app_url(ui_settings):
    with running_app(ui_settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def requests_seen():
    return []


@pytest.fixture(scope="module")
def page(browser, app_url, requests_seen):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("request", lambda request: requests_seen.append(request.url))
    page.goto(app_url)
    page.wait_for_selector("#nq-chat")
    page.wait_for_selector("#nq-sources .nq-panel")
    yield page
    context.close()


@pytest.fixture(scope="module", autouse=True)
def screenshots_folder():
    SCREENSHOTS.mkdir(exist_ok=True)


def shot(page, name: str) -> None:
    page.wait_for_timeout(350)  # let transitions and the progress fade settle
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


FINISHED = "#nq-chat .nq-answer .nq-foot, #nq-chat .nq-error"


def ask(page, question: str):
    """Type a question, press Enter, wait for the finished answer; returns the last answer's locator."""
    page.get_by_role("tab", name="Chat").click()
    before = page.locator(FINISHED).count()
    box = page.locator("#nq-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "([selector, before]) => document.querySelectorAll(selector).length > before", arg=[FINISHED, before]
    )
    return page.locator("#nq-chat .nq-answer").last


def new_conversation(page) -> None:
    page.get_by_role("tab", name="Chat").click()
    page.locator("#nq-new").click()
    page.wait_for_function("document.querySelectorAll('#nq-chat .nq-answer').length === 0")


def test_first_load_shows_examples_settings_and_loads_nothing_from_elsewhere(page, app_url, requests_seen, ui_settings):
    examples = page.locator("#nq-chat").get_by_text(TIKTOK_QUESTION)
    assert examples.is_visible()
    assert page.locator("#nq-sources .nq-empty").is_visible()
    page.wait_for_function("document.querySelector('#nq-status').innerText.includes('articles')")
    assert "5 articles" in page.locator("#nq-status").inner_text()
    # settings start from the same Settings object as the CLI
    assert page.locator("#nq-top-k input[type=number]").input_value() == str(ui_settings.top_k)
    assert "Extractive" in page.locator("#nq-generator input").input_value()
    shot(page, "01_first_load")
    host = urlparse(app_url).netloc
    elsewhere = [u for u in requests_seen if not u.startswith(("data:", "blob:")) and urlparse(u).netloc != host]
    assert elsewhere == [], f"the page loaded assets from elsewhere: {elsewhere}"


def test_streamed_answer_with_citation_that_shows_the_passage(page):
    page.evaluate(
        """() => {
        window.__nqSawStream = false;
        new MutationObserver(() => {
          if (document.querySelector('#nq-chat .nq-pending, #nq-chat .nq-streaming')) window.__nqSawStream = true;
        }).observe(document.querySelector('#nq-chat'), {childList: true, subtree: true});
      }"""
    )
    page.locator("#nq-chat").get_by_text(TIKTOK_QUESTION).click()  # one of the examples on first load
    page.wait_for_selector(FINISHED)
    answer = page.locator("#nq-chat .nq-answer").last
    assert TIKTOK_QUESTION in page.locator("#nq-chat .nq-user").last.inner_text()
    assert "170 million" in answer.inner_text()
    assert page.evaluate("window.__nqSawStream"), "no streamed intermediate message was shown"
    shot(page, "02_answer")

    marker = answer.locator("a.cite").first
    marker.click()
    popover = page.locator("#nq-popover")
    popover.wait_for(state="visible")
    assert "170 million" in popover.locator("mark").inner_text()
    assert TIKTOK_ID in popover.inner_text()
    card = page.locator("#nq-sources .nq-card.nq-active")
    card.wait_for(state="visible")
    assert TIKTOK_ID in card.locator(".nq-id").inner_text()
    highlighted = card.locator(".nq-context mark").inner_text()
    assert "170 million" in highlighted
    context = card.locator(".nq-context").inner_text()
    assert len(context) > len(highlighted), "the quote should be shown inside its paragraph"
    shot(page, "03_citation_clicked")

    # clicking elsewhere closes it; hovering a marker opens it again
    page.locator("#nq-header").click()
    popover.wait_for(state="hidden")
    marker.hover()
    popover.wait_for(state="visible")
    assert "170 million" in popover.inner_text()
    page.mouse.move(5, 5)
    popover.wait_for(state="hidden")


def test_open_whole_article_with_passage_highlighted(page):
    page.locator("#nq-sources .nq-turn:not([hidden]) .nq-card").first.locator(".nq-open").click()
    dialog = page.locator("#nq-article .nq-dialog")
    dialog.wait_for(state="visible")
    page.wait_for_selector("#nq-article #nq-hit")
    assert "170 million" in page.locator("#nq-article #nq-hit").inner_text()
    assert "Wang Jingtao" in dialog.inner_text()  # the rest of the article is there too
    assert TIKTOK_ID in dialog.locator(".nq-dialog-meta").inner_text()
    shot(page, "04_article_open")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")


def test_copy_answer_with_citations_and_show_scores(page):
    page.locator("#nq-sources .nq-turn:not([hidden]) .nq-copy").click()
    page.wait_for_function(
        "document.querySelector('#nq-sources .nq-turn:not([hidden]) .nq-copy').innerText.includes('Copied')"
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "170 million" in copied and "[1]" in copied
    assert "Sources:" in copied and TIKTOK_ID in copied

    page.locator("#nq-scores input").check()
    page.wait_for_selector("#nq-sources .nq-score")
    score = page.locator("#nq-sources .nq-score").first
    assert score.inner_text() in ("strong match", "partial match", "weak match")  # words, the number on hover
    assert re.search(r"relevance -?\d+\.\d\d", score.get_attribute("title"))
    page.locator("#nq-scores input").uncheck()
    page.wait_for_selector("#nq-sources .nq-score", state="detached")


def test_follow_up_shows_the_rewritten_question_and_feedback_is_saved(page, ui_settings):
    new_conversation(page)
    first = ask(page, "Who chairs the American Soybean Association?")
    assert "Josh Gackle" in first.inner_text()
    follow_up = ask(page, "What did he say farmers are doing?")
    rewrite = follow_up.locator(".nq-rewrite .nq-standalone")
    assert "Josh Gackle" in rewrite.inner_text()
    assert "farmers" in follow_up.locator(".nq-text").inner_text()
    assert "Josh Gackle" in page.locator("#nq-sources .nq-turn:not([hidden]) .nq-rewrite").inner_text()
    shot(page, "05_follow_up")

    page.locator("#nq-chat button[aria-label='Like']").last.click()
    page.get_by_text("your feedback was saved").first.wait_for(state="visible")
    feedback = Path(ui_settings.data_dir) / "feedback.jsonl"
    records = [json.loads(line) for line in feedback.read_text().splitlines()]
    assert records[-1]["feedback"] == "up"
    assert records[-1]["question"] == "What did he say farmers are doing?"
    assert "Josh Gackle" in records[-1]["standalone_question"]
    assert records[-1]["citations"] and records[-1]["citations"][0]["article_id"]


def open_options(page) -> None:
    page.get_by_role("tab", name="Chat").click()
    if page.locator("#nq-options .label-wrap.open").count() == 0:  # folded (on a phone, by the page's script)
        page.locator("#nq-options .label-wrap").click()
    page.locator("#nq-article-filter").wait_for(state="visible")


def filter_offers(page, text: str) -> bool:
    """Whether the chat's article filter lists an article whose title or file holds ``text``."""
    open_options(page)
    box = page.locator("#nq-article-filter input")
    box.click()
    box.fill(text)
    page.wait_for_timeout(300)
    found = page.get_by_role("option", name=re.compile(re.escape(text), re.IGNORECASE)).count() > 0
    box.fill("")
    box.press("Escape")
    page.locator("#nq-header").click()
    return found


def test_upload_ask_and_delete_an_article(page, ui_settings, tmp_path):
    corpus = Path(ui_settings.corpus_dir)
    before = sorted(p.name for p in corpus.iterdir())
    good = tmp_path / "zorblat harbour (draft).txt"
    good.write_text(ZORBLAT, encoding="utf-8")
    not_html = tmp_path / "notes.html"
    not_html.write_text("just a note, no markup at all", encoding="utf-8")
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"GIF89a\x00\x01\x02 binary")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 cut short")

    page.get_by_role("tab", name="Corpus").click()
    page.locator("#nq-upload input[type=file]").set_input_files([str(good), str(not_html), str(binary), str(pdf)])
    status = page.locator("#nq-corpus-status")
    page.wait_for_function("document.querySelector('#nq-corpus-status').innerText.includes('Index updated')")
    text = status.inner_text()
    assert f"Added {ZORBLAT_ID}" in text
    assert "notes.html refused" in text and "does not look like HTML" in text
    assert "scan.txt refused" in text and "NUL" in text
    assert "report.pdf refused" in text and "not a readable PDF" in text  # listed with its reason, not a toast
    page.wait_for_function(f"document.querySelector('#nq-articles').innerText.includes('{ZORBLAT_ID}')")
    assert "6 articles" in page.locator("#nq-status").inner_text()
    assert sorted(p.name for p in corpus.iterdir()) == sorted([*before, f"{ZORBLAT_ID}.txt"])
    shot(page, "06_corpus_uploaded")
    assert filter_offers(page, "Zorblat harbour opens")  # the chat's article filter follows the corpus

    new_conversation(page)
    answer = ask(page, "When did the Zorblat harbour open?")
    assert "14 March 2031" in answer.inner_text()
    answer.locator("a.cite").first.click()
    card = page.locator("#nq-sources .nq-card.nq-active")
    card.wait_for(state="visible")
    assert card.locator(".nq-id").inner_text() == ZORBLAT_ID
    assert "14 March 2031" in " ".join(card.locator("mark").all_inner_texts())
    shot(page, "07_uploaded_article_answer")
    page.locator("#nq-header").click()

    page.get_by_role("tab", name="Corpus").click()
    select = page.locator("#nq-delete-select input")
    select.click()
    select.fill("zorblat")
    page.get_by_role("option", name=re.compile(ZORBLAT_ID)).wait_for(state="visible")
    select.press("Enter")  # picks the one option the filter left
    select.press("Escape")
    assert ZORBLAT_ID in page.locator("#nq-delete-select").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#nq-delete").click()
    page.wait_for_function("document.querySelector('#nq-corpus-status').innerText.includes('Deleted')")
    page.wait_for_function(f"!document.querySelector('#nq-articles').innerText.includes('{ZORBLAT_ID}')")
    assert f"Deleted {ZORBLAT_ID}" in status.inner_text()
    assert sorted(p.name for p in corpus.iterdir()) == before
    shot(page, "08_corpus_deleted")
    assert not filter_offers(page, "Zorblat harbour opens") and filter_offers(page, "trade talks in Madrid")

    gone = ask(page, "When did the Zorblat harbour open?")
    assert "The articles don't say" in gone.inner_text()


def test_off_corpus_question_is_refused_with_closest_coverage(page):
    new_conversation(page)
    answer = ask(page, "What is the population of Madrid?")
    assert "The articles don't say" in answer.inner_text()
    assert answer.locator(".nq-refusal").is_visible()
    panel = page.locator("#nq-sources .nq-turn:not([hidden])")
    assert "The articles don't say" in panel.locator(".nq-refusal").inner_text()
    assert panel.locator(".nq-card-closest").count() >= 1
    shot(page, "09_refusal")


def test_conflicting_sources_are_flagged(page):
    """Two articles give the 53% fall over different periods: the answer says so and cites both."""
    new_conversation(page)
    answer = ask(page, "How much did U.S. farm exports to China fall?")
    assert "53%" in answer.locator(".nq-text").inner_text()
    conflict = answer.locator(".nq-conflict")
    assert conflict.is_visible()
    assert "Sources disagree" in conflict.inner_text() and "different periods" in conflict.inner_text()
    assert conflict.locator("a.cite").count() == 2  # the note links both sources
    panel = page.locator("#nq-sources .nq-turn:not([hidden])")
    assert panel.locator(".nq-conflict").is_visible()
    ids = {card.inner_text() for card in panel.locator(".nq-card .nq-id").all()}
    assert len(ids) == 2
    conflict.locator("a.cite").last.click()
    page.locator("#nq-popover").wait_for(state="visible")
    page.locator("#nq-header").click()
    page.locator("#nq-popover").wait_for(state="hidden")
    assert page.locator("#nq-sources .nq-quote.nq-active").get_attribute("data-n") == "2"
    shot(page, "10_conflict")  # the one docs/screenshot.png is copied from


SEED_TITLES = {
    "000_2586af1d1969f1c3": "China and the United States held high-level trade talks in Madrid this week",
    "001_5a078bd5f88d9d3b": "Trump and Xi Jinping engage in productive discussions on trade and TikTok",
    "002_8ef5243a76c53072": "US-China negotiations proceed as hopes strengthen for trade war truce extension",
    "003_688cffc4895f96d0": "Trump–Xi to discuss TikTok deal, future of U.S.-China relations",
    "004_5d28d1c07f10a7a1": "China’s top trade negotiator, Li Chenggang, announced on Sunday",
}


def test_seed_articles_show_readable_titles_and_dates_in_the_corpus_tab_and_sources_panel(page):
    page.get_by_role("tab", name="Corpus").click()
    table = page.locator("#nq-articles")
    page.wait_for_function("document.querySelector('#nq-articles').innerText.includes('China and the United States')")
    text = table.inner_text()
    for title in SEED_TITLES.values():
        assert title in text, title
    assert "…" not in text
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts() if h.strip()]
    assert headers[:2] == ["Title", "Published"] and headers[-1] == "File"  # title and date first, file last
    assert f"{TIKTOK_ID}.txt" in text  # the file name is there, not first
    shot(page, "11_corpus_titles")
    for article_id, title in SEED_TITLES.items():  # each row shows its title before its file name
        assert text.index(title) < text.index(f"{article_id}.txt"), article_id

    new_conversation(page)
    titles = set()
    for question in (TIKTOK_QUESTION, "What did Li Chenggang announce on Sunday?"):
        ask(page, question)
        panel = page.locator("#nq-sources .nq-turn:not([hidden])")
        for card in panel.locator(".nq-card").all():
            article_id = card.locator(".nq-id").inner_text()
            title = card.locator(".nq-title").inner_text()
            assert title == SEED_TITLES[article_id]
            assert "date unknown" in card.locator(".nq-date").inner_text()  # the seed articles give no date
            titles.add(title)
    assert {SEED_TITLES[TIKTOK_ID], SEED_TITLES["004_5d28d1c07f10a7a1"]} <= titles  # once cut with "…"
    shot(page, "12_sources_titles")


def test_the_date_filter_limits_the_articles_answers_come_from(page):
    """The seed articles give no date, so a bounded range leaves none of them: the answer is a refusal."""
    new_conversation(page)
    page.locator("#nq-since textarea, #nq-since input").first.fill("2025-01-01")
    try:
        refused = ask(page, TIKTOK_QUESTION)
        assert "The articles don't say" in refused.inner_text()
        assert "no indexed article was published since 2025-01-01" in refused.inner_text()
        shot(page, "13_date_filter")
    finally:
        page.locator("#nq-since textarea, #nq-since input").first.fill("")
    answered = ask(page, TIKTOK_QUESTION)
    assert "170 million" in answered.inner_text()


def test_the_article_filter_limits_the_articles_answers_come_from(page):
    """Only the TikTok article chosen: the soybean question, answered by another article, is refused and the
    refusal says why; with the choice removed it is answered again."""
    soybean = "Who chairs the American Soybean Association?"
    new_conversation(page)
    open_options(page)
    box = page.locator("#nq-article-filter input")
    box.click()
    box.fill("Madrid")  # the TikTok article's title
    page.get_by_role("option", name=re.compile(TIKTOK_ID)).wait_for(state="visible")
    box.press("Enter")
    box.press("Escape")
    assert SEED_TITLES[TIKTOK_ID][:40] in page.locator("#nq-article-filter").inner_text()
    try:
        refused = ask(page, soybean)
        assert "The articles don't say" in refused.inner_text() and "Josh Gackle" not in refused.inner_text()
        assert "limited to the chosen article: “China and the United States" in refused.inner_text()
        shot(page, "14_article_filter")
    finally:
        open_options(page)
        page.locator("#nq-article-filter .token-remove").first.click()
    page.wait_for_function("!document.querySelector('#nq-article-filter').innerText.includes('Madrid')")
    answered = ask(page, soybean)
    assert "Josh Gackle" in answered.inner_text()
