"""``qa add``: feeds and links fetched from a real HTTP server on 127.0.0.1 started here (never the internet),
saved into the corpus with their metadata and ingested; every unsafe or unusable link is refused with a
clear message and ingests nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from index.add import add_sources
from index.fetch import Fetcher, FetchError, FetchPolicy
from index.ingest import ingest
from index.load import load_article

PAGE = """<!doctype html><html><head><title>{title} | Gull Island Times</title>
<meta property="og:site_name" content="Gull Island Times"><meta name="author" content="{author}">
<meta property="article:published_time" content="{date}T07:00:00Z"></head><body>
<nav><a href="/">Home</a> <a href="/sport">Sport NAVLEAK</a></nav>
<article><h1>{title}</h1>
<p>{lead}</p>
<p>The harbour master said the change had been planned for months and that passengers would be told by text
message before each crossing.</p>
<p>Island residents have asked for more crossings since the new school opened on the mainland last year.</p>
</article>
<section class="comments"><p>COMMENTLEAK first!</p></section>
<footer>© Gull Island Times</footer></body></html>
"""
STORIES = {
    "ferry": ("Ferry adds a late crossing", "Ann Lee", "2025-10-14", "The Gull Island ferry adds a 22:00 crossing."),
    "bridge": ("Harbour bridge closes for repairs", "Bo Chen", "2025-10-15", "The harbour bridge closes for a week."),
    "school": ("Island school gets a new roof", "Cy Diaz", "2025-10-16", "The island school gets a new slate roof."),
    "market": ("Fish market moves to the pier", "Di Evans", "2025-09-01", "The fish market moves to the north pier."),
    "lights": ("Lighthouse lamp replaced", "Ed Fox", "2025-09-02", "The lighthouse lamp is replaced with an LED."),
    "tides": ("Spring tides flood the quay", "Flo Gray", "2025-09-03", "Spring tides flooded the quay on Sunday."),
}


def rss(base: str) -> str:
    items = "".join(
        f"<item><title>{STORIES[k][0]}</title><link>{base}/news/{k}.html</link>"
        f"<pubDate>{d}</pubDate><author>news@gull.example ({STORIES[k][1]})</author></item>"
        for k, d in (
            ("ferry", "Tue, 14 Oct 2025 07:00:00 GMT"),
            ("bridge", "Wed, 15 Oct 2025 07:00:00 GMT"),
            ("school", "Thu, 16 Oct 2025 07:00:00 GMT"),
        )
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gull Island Times</title>{items}</channel></rss>'


def atom(base: str) -> str:
    entries = "".join(
        f'<entry><title>{STORIES[k][0]}</title><link href="{base}/news/{k}.html"/><id>{k}</id>'
        f"<updated>{STORIES[k][2]}T07:00:00Z</updated><author><name>{STORIES[k][1]}</name></author></entry>"
        for k in ("market", "lights", "tides")
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Gull Island Times</title><id>gull</id><updated>2025-09-03T07:00:00Z</updated>{entries}</feed>"
    )


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, content_type: str, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.server.seen.append((self.path, self.headers.get("User-Agent", "")))
        path = self.path
        if path == "/feed.rss":
            return self._send(200, "application/rss+xml", rss(base).encode())
        if path == "/relative.rss":  # links relative to the feed's address, as many sites write them
            return self._send(200, "application/rss+xml", rss("").encode())
        if path == "/feed.atom":
            return self._send(200, "application/atom+xml; charset=utf-8", atom(base).encode())
        if path.startswith("/news/") and path.endswith(".html"):
            key = path[len("/news/") : -len(".html")]
            if key in STORIES:
                title, author, date, lead = STORIES[key]
                page = PAGE.format(title=title, author=author, date=date, lead=lead)
                return self._send(200, "text/html; charset=utf-8", page.encode())
        if path in ("/loop-a", "/loop-b"):
            return self._send(302, "text/html", b"", {"Location": "/loop-b" if path == "/loop-a" else "/loop-a"})
        if path == "/to-metadata":
            return self._send(302, "text/html", b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
        if path == "/to-ferry":
            return self._send(301, "text/html", b"", {"Location": "/news/ferry.html"})
        if path == "/photo.png":
            return self._send(200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64))
        if path == "/huge.html":  # 50 MB, no Content-Length: only reading tells how big it is
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            chunk = b"<p>" + b"x" * 65530 + b"</p>"
            try:
                for _ in range(50 * 1024 * 1024 // len(chunk)):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        return self._send(404, "text/html", b"<html><body>not found</body></html>")


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


LOCAL = FetchPolicy(timeout=10, max_bytes=2_000_000, delay=0, allowed_networks=("127.0.0.1",))


def test_a_page_link_is_saved_with_its_metadata_and_loads_as_an_article(server, tmp_path):
    httpd, base = server
    report = add_sources([f"{base}/to-ferry"], tmp_path, Fetcher(LOCAL))  # a redirect to the page
    assert report.failed == [] and len(report.saved) == 1
    saved = report.saved[0]
    assert saved.url == f"{base}/news/ferry.html" and saved.path.parent == tmp_path / "web"
    article = load_article(saved.path, tmp_path)
    assert (article.title, article.date, article.byline, article.site, article.url) == (
        "Ferry adds a late crossing",
        "2025-10-14",
        "By Ann Lee",
        "Gull Island Times",
        f"{base}/news/ferry.html",
    )
    assert "22:00 crossing" in article.text and "NAVLEAK" not in article.text and "COMMENTLEAK" not in article.text
    assert all(agent.startswith("newsdesk-qa/") for _, agent in httpd.seen)  # a clear User-Agent


def test_relative_links_in_a_feed_resolve_against_its_address(server, tmp_path):
    _, base = server
    report = add_sources([f"{base}/relative.rss"], tmp_path, Fetcher(LOCAL))
    assert report.failed == []
    assert sorted(s.url for s in report.saved) == [f"{base}/news/{k}.html" for k in ("bridge", "ferry", "school")]


def test_fetching_reports_its_progress_in_pages(server, tmp_path):
    """The corpus tab's bar: the feed's entries and the page link make the total; one call before each page and
    one at the end. A source that fails adds nothing to it."""
    _, base = server
    calls = []
    sources = [f"{base}/relative.rss", f"{base}/to-ferry", f"{base}/missing"]
    report = add_sources(sources, tmp_path, Fetcher(LOCAL), lambda *call: calls.append(call))
    assert len(report.saved) == 4 and len(report.failed) == 1
    assert calls == [(done, 4, "pages") for done in range(5)]


def test_relative_links_in_a_feed_file_are_refused_plainly(tmp_path):
    feed = tmp_path / "saved.rss"
    feed.write_text(rss(""), encoding="utf-8")
    report = add_sources([str(feed)], tmp_path / "corpus", Fetcher(LOCAL))
    assert report.saved == [] and len(report.failed) == 3
    assert all(
        link.startswith("/news/") and "add the feed by its http(s) address" in why for link, why in report.failed
    )
    assert not (tmp_path / "corpus").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("feed", "keys"), [("feed.rss", ("ferry", "bridge", "school")), ("feed.atom", ("market", "lights", "tides"))])  # fmt: skip
def test_a_feed_of_three_entries_ingests_three_articles_and_a_second_run_nothing(
    server, fresh_settings, embedder, feed, keys
):
    _, base = server
    fetcher = Fetcher(LOCAL)
    first = add_sources([f"{base}/{feed}"], fresh_settings.corpus_dir, fetcher)
    assert first.failed == [] and len(first.written) == 3
    report = ingest(fresh_settings, embedder)
    assert len(report.added) == 3 and all(a.startswith("web/127-0-0-1-news-") for a in report.added)
    dates = {load_article(s.path, fresh_settings.corpus_dir).date for s in first.saved}
    assert dates == {STORIES[k][2] for k in keys}  # the feed's dates
    second = add_sources([f"{base}/{feed}"], fresh_settings.corpus_dir, fetcher)
    assert second.failed == [] and second.written == [] and len(second.saved) == 3
    again = ingest(fresh_settings, embedder)
    assert (again.added, again.updated, again.deleted, again.unchanged) == ([], [], [], 3)


INTERNAL = "127.0.0.1 is a loopback, private or link-local address"
REFUSED = {  # path on the test server: (fetch policy, what the message says)
    "/loop-a": (LOCAL, "redirect loop"),
    "/nothing-here.html": (LOCAL, "answered 404"),
    "/huge.html": (LOCAL, "over the 2,000,000-byte limit"),
    "/photo.png": (LOCAL, "content type image/png is not a web page or feed"),
    "/to-metadata": (LOCAL, "redirected to http://169.254.169.254/latest/meta-data/: 169.254.169.254 is a loopback"),
    "/news/ferry.html": (FetchPolicy(delay=0), INTERNAL),  # the allowance off
    "/feed.rss": (FetchPolicy(delay=0), INTERNAL),
}


@pytest.mark.parametrize("path", REFUSED)
def test_unusable_or_unsafe_links_are_refused_with_a_clear_message(server, tmp_path, path):
    _, base = server
    policy, message = REFUSED[path]
    report = add_sources([f"{base}{path}"], tmp_path, Fetcher(policy))
    assert report.saved == [] and len(report.failed) == 1
    assert message in report.failed[0][1] and base + path in report.failed[0][1]
    assert not (tmp_path / "web").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https links are fetched, not file"),
        ("ftp://127.0.0.1/feed.rss", "only http and https links are fetched, not ftp"),
        ("http://user:secret@127.0.0.1/", "user name or password"),
    ],
)
def test_other_schemes_and_credentials_are_refused_before_any_lookup(url, message):
    fetcher = Fetcher(FetchPolicy(delay=0), resolve=lambda host, port: pytest.fail(f"looked up {host}"))
    with pytest.raises(FetchError, match=message):
        fetcher.fetch(url)


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://127.0.0.1/", "http://10.0.0.8/"]
)
def test_internal_addresses_are_refused_without_the_allowance(url):
    host = url.split("/")[2].strip("[]")
    with pytest.raises(FetchError, match=f"{re.escape(host)} is a loopback, private or link-local address"):
        Fetcher(FetchPolicy(delay=0)).fetch(url)


def test_a_name_that_resolves_to_an_internal_address_is_refused_after_resolution():
    fetcher = Fetcher(FetchPolicy(delay=0), resolve=lambda host, port: ["93.184.215.14", "10.1.2.3"])
    with pytest.raises(FetchError, match=r"news\.example resolves to 10\.1\.2\.3, a loopback"):
        fetcher.fetch("http://news.example/story.html")


@pytest.mark.slow
def test_qa_add_in_a_subprocess_reports_saves_and_ingests(server, tmp_path):
    _, base = server
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        QA_CORPUS_DIR=str(tmp_path / "corpus"),
        QA_INDEX_DIR=str(tmp_path / "index"),
        QA_DATA_DIR=str(tmp_path / "data"),
        QA_FETCH_ALLOW="127.0.0.1",
        QA_FETCH_DELAY="0",
    )
    (tmp_path / "corpus").mkdir()

    def qa_add(*sources):
        return subprocess.run(
            [sys.executable, "-m", "qa.cli", "add", *sources], env=env, capture_output=True, text=True, timeout=300
        )

    first = qa_add(f"{base}/feed.rss", f"{base}/photo.png")
    assert first.returncode == 1, first.stderr  # one source failed
    assert first.stdout.count("saved: web/") == 3 and "3 added" in first.stdout
    assert "not added:" in first.stderr and "image/png" in first.stderr and "Traceback" not in first.stderr
    second = qa_add(f"{base}/feed.rss")
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("unchanged: web/") == 3 and "nothing new to ingest" in second.stdout


@pytest.mark.slow
def test_the_corpus_tab_adds_a_feed_and_reports_refused_links(server, fresh_settings, embedder):
    from ui.app import App

    _, base = server
    app = App(fresh_settings.with_(fetch_allow="127.0.0.1", fetch_delay=0.0))

    def add(text: str):
        *_, last = app.add_links(text)  # follows the change through the ingestion queue to its end
        return last

    status, table, _, header, box = add(f"{base}/feed.rss\n{base}/photo.png")
    assert status.count("✓ Added") == 3 and "Ferry adds a late crossing" in status
    assert "✗" in status and "image/png" in status and "Index updated: 3 added" in status
    assert box == "" and "3** articles" in header
    assert {row[0]: row[1] for row in table}["Ferry adds a late crossing"] == "2025-10-14"  # title, date first
    again, *_ = add(f"{base}/feed.rss")
    assert again.count("= Unchanged") == 3 and "Nothing new to index." in again
    refused, *_ = add("file:///etc/passwd")
    assert "only http and https links are fetched, not file" in refused and "Nothing new to index." in refused
