"""Loading (.txt, .md, .html) and splitting with exact offsets, on the real seed articles."""

from __future__ import annotations

import pytest
from conftest import SEED_CORPUS

from index.load import ArticleError, corpus_files, load_article, short_title
from index.sentences import sentence_spans
from index.split import MAX_CHARS, paragraph_spans, split_article


@pytest.fixture(scope="module")
def seed_articles():
    return {a.id: a for a in (load_article(p, SEED_CORPUS) for p in corpus_files(SEED_CORPUS))}


def test_seed_ids_titles_datelines_bylines(seed_articles):
    assert sorted(seed_articles) == [
        "000_2586af1d1969f1c3",
        "001_5a078bd5f88d9d3b",
        "002_8ef5243a76c53072",
        "003_688cffc4895f96d0",
        "004_5d28d1c07f10a7a1",
    ]
    assert (
        seed_articles["003_688cffc4895f96d0"].title == "Trump–Xi to discuss TikTok deal, future of U.S.-China relations"
    )
    assert seed_articles["003_688cffc4895f96d0"].published == "WASHINGTON"
    assert seed_articles["002_8ef5243a76c53072"].byline == "By Anderson W. White"
    assert seed_articles["004_5d28d1c07f10a7a1"].published == "Beijing"
    assert not seed_articles["004_5d28d1c07f10a7a1"].title.startswith("Beijing:")
    # No headline line: a short title from the first sentence, cut where a clause ends, no "…".
    assert (
        seed_articles["000_2586af1d1969f1c3"].title
        == "China and the United States held high-level trade talks in Madrid this week"
    )
    assert (
        seed_articles["004_5d28d1c07f10a7a1"].title == "China’s top trade negotiator, Li Chenggang, announced on Sunday"
    )
    for article in seed_articles.values():
        assert len(article.title.split()) <= 13 and "…" not in article.title, article.title


def test_page_furniture_dropped(seed_articles):
    text = seed_articles["002_8ef5243a76c53072"].text
    assert "You May Also Like" not in text
    assert text.endswith("By Anderson W. White")


def test_passages_slice_back_and_cover_every_sentence(seed_articles):
    for article in seed_articles.values():
        passages = split_article(article)
        assert passages, article.id
        for p in passages:
            assert article.text[p.start : p.end] == p.text
            assert len(p.text) <= MAX_CHARS
        # Every sentence lies wholly inside one passage: no sentence is cut.
        for ps, pe in paragraph_spans(article.text):
            for s, e in sentence_spans(article.text, ps, pe):
                assert any(p.start <= s and e <= p.end for p in passages), article.text[s:e]
        # Passages are in order and do not overlap.
        assert all(a.end <= b.start for a, b in zip(passages, passages[1:], strict=False))


def test_long_paragraph_splits_at_sentence_boundaries(tmp_path):
    sentence = "The delegation met officials in the capital to discuss tariffs on soybeans and steel. "
    (tmp_path / "long.txt").write_text("Headline about long talks\n" + sentence * 30)
    article = load_article(tmp_path / "long.txt", tmp_path)
    passages = split_article(article)
    assert len(passages) > 2
    for p in passages:
        assert p.text.endswith("steel.") or p.text == article.text[p.start : p.end]
        assert article.text[p.start : p.end] == p.text
        assert len(p.text) <= MAX_CHARS


def test_markdown_and_html(tmp_path):
    (tmp_path / "story.md").write_text(
        "# Harbour reopens after storm\n\nThe **harbour** at [Port Elm](http://x) reopened on Monday.\n\nBy Jane Roe\n"
    )
    md = load_article(tmp_path / "story.md", tmp_path)
    assert md.title == "Harbour reopens after storm"
    assert "The harbour at Port Elm reopened on Monday." in md.text
    assert md.byline == "By Jane Roe"

    (tmp_path / "page.html").write_text(
        "<html><head><title>Site | Storm</title><style>p{color:red}</style>"
        "<script>alert('x')</script></head><body><nav>Home News</nav><article><h1>Storm closes port</h1>"
        "<p>The port closed on <b>Friday</b> after the storm.</p><p>It reopens next week.</p></article>"
        "<footer>Copyright</footer></body></html>"
    )
    page = load_article(tmp_path / "page.html", tmp_path)
    assert page.title == "Storm closes port"
    assert "The port closed on Friday after the storm." in page.text
    assert "alert" not in page.text and "color:red" not in page.text
    assert "Home News" not in page.text and "Copyright" not in page.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "white space"),
        (b"\x00\x01binary", "binary"),
        (b"caf\xe9 au lait", "UTF-8"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleError, match=reason):
        load_article(path, tmp_path)


def test_sentence_spans_news_abbreviations():
    text = "U.S. Treasury Secretary Scott Bessent spoke. Anderson W. White wrote it. Sales fell 53%."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "U.S. Treasury Secretary Scott Bessent spoke.",
        "Anderson W. White wrote it.",
        "Sales fell 53%.",
    ]


def test_all_caps_wire_headline_is_the_title(tmp_path):
    (tmp_path / "wire.txt").write_text("U.K. MONEY MARKET DEFICIT FORECAST AT 250 MLN STG\nThe Bank of England said.\n")
    assert load_article(tmp_path / "wire.txt", tmp_path).title == "U.K. MONEY MARKET DEFICIT FORECAST AT 250 MLN STG"


NEWS_PAGE = """<!doctype html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Harbour bridge reopens after repairs | The Coastal Herald</title>
<meta property="og:site_name" content="The Coastal Herald">
<meta name="author" content="Maria Lopez">
<meta property="article:published_time" content="2025-10-14T08:30:00Z">
<script>window.tracker = "SCRIPTLEAK";</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a>
<a href="/subscribe">Subscribe now NAVLEAK</a></nav></header>
<div class="ad advertisement">ADLEAK: Buy the new Zephyr phone today, 20% off!</div>
<main><article>
<h1>Harbour bridge reopens after two years of repairs</h1>
<p class="byline">By <span class="author">Maria Lopez</span> ·
<time datetime="2025-10-14T08:30:00Z">Oct. 14, 2025</time></p>
<p>The Harbour Bridge reopened to traffic on Tuesday morning after two years of repairs that cost the city
48 million dollars, officials said.</p>
<p>Mayor Daniel Okafor cut a ribbon at the northern end of the bridge at 7 a.m. and the first buses crossed
shortly afterwards.</p>
<p>Engineers replaced 1,200 steel cables and resurfaced the deck, which carries about 60,000 vehicles a day.</p>
<p>"This bridge is the spine of our city," Okafor said. "It is back, and it is stronger than before."</p>
</article></main>
<aside class="related"><h3>Related stories</h3><ul><li><a href="/a">Tunnel closes RELATEDLEAK</a></li></ul></aside>
<section id="comments" class="comments"><h3>Comments</h3>
<div class="comment"><p>COMMENTLEAK Finally! It took them forever, the whole thing was a scandal from day one.</p></div>
<div class="comment"><p>COMMENTLEAK Great news for commuters, I drive across it every morning.</p></div>
</section>
<footer><p>© 2025 The Coastal Herald FOOTERLEAK. All rights reserved.</p></footer>
</body></html>
"""


@pytest.mark.parametrize("suffix", [".html", ".htm"])
def test_news_page_yields_body_title_author_date_and_site(tmp_path, suffix):
    (tmp_path / f"bridge{suffix}").write_text(NEWS_PAGE, encoding="utf-8")
    page = load_article(tmp_path / f"bridge{suffix}", tmp_path)
    assert page.title == "Harbour bridge reopens after two years of repairs"
    assert page.byline == "By Maria Lopez"
    assert page.date == "2025-10-14"
    assert page.site == "The Coastal Herald"
    assert "The Harbour Bridge reopened to traffic on Tuesday morning" in page.text
    assert "\n\nEngineers replaced 1,200 steel cables and resurfaced the deck" in page.text  # one block each
    assert page.text.endswith('"It is back, and it is stronger than before."')
    for leak in ("SCRIPTLEAK", "NAVLEAK", "ADLEAK", "RELATEDLEAK", "COMMENTLEAK", "FOOTERLEAK", "Subscribe"):
        assert leak not in page.text, leak
    for p in split_article(page):
        assert page.text[p.start : p.end] == p.text


def test_a_page_dated_only_by_its_time_element(tmp_path):
    body = "".join(f"<p>Paragraph {n} of the council story, with enough words to count as text.</p>" for n in range(4))
    html = (
        "<html><head><title>Council votes</title></head><body><article><h1>Council votes on the budget</h1>"
        f'<p><time datetime="2024-03-05">5 March 2024</time></p>{body}</article></body></html>'
    )
    (tmp_path / "council.html").write_text(html, encoding="utf-8")
    page = load_article(tmp_path / "council.html", tmp_path)
    assert (page.title, page.date) == ("Council votes on the budget", "2024-03-05")


def test_a_page_without_a_date_has_none(tmp_path):
    (tmp_path / "undated.html").write_text(
        "<html><body><article><h1>Ferry resumes</h1><p>The ferry to the island resumed, the operator said.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    page = load_article(tmp_path / "undated.html", tmp_path)
    assert page.date is None and page.title == "Ferry resumes"


@pytest.mark.parametrize(
    ("sentence", "title"),
    [
        ("Shares rose.", "Shares rose"),
        (
            "The city council voted on Tuesday to close the old harbour bridge to trucks for two years while engineers work.",
            "The city council voted on Tuesday to close the old harbour bridge",
        ),
        (
            "Officials from the ministry of transport and the regional rail operator met union leaders in the capital "
            "for a third day.",
            "Officials from the ministry of transport and the regional rail operator met",
        ),
        ("Heavy rain flooded streets in the east of the city, closing schools and two hospitals for the day.", "Heavy rain flooded streets in the east of the city"),
    ],
)  # fmt: skip
def test_short_title_is_at_most_about_twelve_words_cut_at_a_word_boundary(sentence, title):
    assert short_title(sentence) == title
    assert sentence.startswith(title) and len(title.split()) <= 13 and not title.endswith(("…", ",", " the"))


def test_an_article_without_a_headline_line_gets_a_short_title(tmp_path):
    text = (
        "The regional water board said on Monday that reservoir levels had fallen to their lowest point in "
        "thirty years after a dry summer. Farmers were asked to cut use.\nA second paragraph follows."
    )
    (tmp_path / "water.txt").write_text(text, encoding="utf-8")
    assert load_article(tmp_path / "water.txt", tmp_path).title == "The regional water board said on Monday"
