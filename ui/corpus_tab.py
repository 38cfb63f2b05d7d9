"""The corpus tab's handlers: the table of indexed articles, and uploads, deletions, links and re-scans queued in
the ingestion queue and followed there with a progress bar per change (ui/batch_bars.py) until the index holds it.
The checks and file work themselves are ``ui/corpus.py``'s."""

from __future__ import annotations

import logging
from concurrent.futures import wait
from pathlib import Path

import gradio as gr

from index.store import StoreError
from qa.settings import Settings
from ui import corpus
from ui.batch_bars import Results, bars
from ui.corpus_changes import MAX_LINKS, CorpusChanges
from ui.errors import friendly_error
from ui.ingest_queue import IngestQueue
from ui.text import md, one_line

log = logging.getLogger(__name__)

FOLLOW_INTERVAL = 0.5  # seconds between status updates while a corpus change waits or runs
ARTICLE_HEADERS = ["Title", "Published", "Byline", "Dateline", "Passages", "Indexed", "File"]


def delete_phrase(ids: list[str]) -> str:
    """What a delete must be confirmed with: the ids themselves, so a confirmation is for these articles."""
    return "delete " + ", ".join(ids)


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _session(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None) if request is not None else None


class CorpusTab:
    """The corpus tab's handlers, bound to one Settings; every change goes through ``ingest``, one at a time."""

    def __init__(self, settings: Settings, ingest: IngestQueue, changes: CorpusChanges):
        self.settings = settings
        self.ingest = ingest
        self.changes = changes
        self.results = Results()  # per browser session: what finished while a page followed its own change

    def corpus_view(self):
        """(table rows, delete choices, header status) from the index."""
        try:
            rows = corpus.list_articles(self.settings)
        except StoreError as exc:
            log.warning("corpus list: %s", exc)
            return [], gr.update(choices=[], value=[]), f"No articles to show: {md(exc.public)}."
        table = [[r.title, r.date or "", r.byline, r.published, r.passages, r.indexed, r.file] for r in rows]
        passages = sum(r.passages for r in rows)
        status = f"**{len(rows)}** article{'s' if len(rows) != 1 else ''} · **{passages}** passages indexed"
        return table, gr.update(choices=article_choices(rows), value=[]), status

    def article_filter(self, chosen: list[str] | None):
        """The chat's article filter after the corpus changed: every indexed article, by title (its id as the
        value), keeping the chosen ones that are still indexed."""
        try:
            rows = corpus.list_articles(self.settings)
        except StoreError as exc:
            log.warning("article filter: %s", exc)
            rows = []
        ids = {r.article_id for r in rows}
        return gr.update(choices=article_choices(rows), value=[i for i in chosen or [] if i in ids])

    def _after_change(self, lines: list[str]):
        table, choices, status = self.corpus_view()
        return "\n".join(lines), table, choices, status

    def _follow(self, label: str, work, report_lines, before: tuple[str, ...] = (), session: str | None = None):
        """Queue ``work(progress)`` in the ingestion queue and follow it: yields the corpus outputs with a progress
        bar for each change waiting or running (ui/batch_bars.py) while it waits and runs, then with
        ``report_lines(result)`` (or the error, then ``before``: what was refused on the way in) when it is done.
        Results of the session's other changes that finished meanwhile stay shown."""
        mark = self.results.mark(session)
        job, future = self.ingest.submit(label, work)
        while not wait([future], timeout=FOLLOW_INTERVAL).done:
            shown = [bars(self.ingest.batches()), *("\n".join(r) for r in self.results.since(session, mark))]
            yield "\n\n".join(shown), gr.skip(), gr.skip(), gr.skip()
        try:
            lines = report_lines(future.result())
        except StoreError as exc:  # e.g. a read-only index: checked before any file was changed
            log.warning("corpus change refused: %s", exc)
            lines = [f"⚠ Nothing was changed: {md(exc.public)}.", *before]
        except Exception as exc:
            lines = [f"⚠ {md(friendly_error(exc))}", *before]
        self.results.add(session, job.number, lines)
        earlier = [line for result in self.results.since(session, mark, but=job.number) for line in (*result, "")]
        yield self._after_change([*earlier, *lines])

    def upload(self, files: list[str] | None, replace: bool = False, request: gr.Request = None):
        """Check the uploaded files, then store and ingest them in the ingestion queue, following it; yields
        (status, table, delete choices, header, file box). An article with the same name or text is replaced only
        when ``replace`` is set."""
        if not files:
            yield (*self._after_change(["Choose .txt, .md, .html or .pdf files to add."]), None)
            return
        items, lines = [], []
        refusal = corpus.batch_error(len(files), sum(_size(path) for path in files))
        if refusal:
            for path in files:
                Path(path).unlink(missing_ok=True)  # gradio's temporary copies
            yield (*self._after_change([f"⚠ Nothing was added: {md(refusal)}."]), None)
            return
        for path in files:
            path = Path(path)
            name = path.name
            try:
                size = path.stat().st_size
                limit = corpus.size_limit(name)
                if size > limit:
                    lines.append(f"- ✗ **{md(name)}**: {size:,} bytes is over the {limit // 10**6} MB limit")
                else:
                    items.append((name, path.read_bytes()))
            except OSError as exc:
                lines.append(f"- ✗ **{md(name)}**: cannot read the upload ({md(exc.strerror)})")
            finally:
                path.unlink(missing_ok=True)  # gradio's temporary copy; the corpus keeps its own

        def report_lines(report: corpus.ChangeReport) -> list[str]:
            shown = list(lines)
            for stored in report.stored:
                verb = "Replaced" if stored.replaced else "Added"
                renamed = (
                    f" (renamed: another file of this upload is {md(stored.renamed_from)})" if stored.renamed else ""
                )
                shown.append(f"- ✓ {verb} **{md(stored.article_id)}** ({md(stored.name)}){renamed}: {md(stored.title)}")
            for name, reason in report.refused:
                shown.append(f"- ✗ **{md(name)}** refused: {md(reason)}")
            if report.ingest_summary:
                shown.append(f"\nIndex updated: {md(report.ingest_summary)}")
            return shown

        label = f"upload of {len(files)} file{'s' if len(files) != 1 else ''}"
        work = lambda progress: self.changes.upload(items, progress, replace=bool(replace))  # noqa: E731
        for outputs in self._follow(label, work, report_lines, tuple(lines), _session(request)):
            yield (*outputs, None)  # the file box empties at once

    def delete(self, ids: list[str] | None, confirmation: str = "", request: gr.Request = None):
        """Delete the selected articles (in the ingestion queue, followed); ``confirmation`` must be
        ``delete_phrase(ids)`` (the browser sends it after asking; an API caller has to send it too)."""
        ids = [i for i in (ids or []) if isinstance(i, str)]
        if not ids:
            yield self._after_change(["Select the articles to delete first."])
            return
        if confirmation != delete_phrase(ids):
            yield self._after_change([f"Nothing deleted: the confirmation must be “{md(delete_phrase(ids))}”."])
            return

        def report_lines(report: corpus.ChangeReport) -> list[str]:
            lines = [f"- ✓ Deleted **{md(i)}**" for i in report.deleted]
            missing = sorted(set(ids) - set(report.deleted))
            lines += [f"- {md(i)}: no file in the corpus folder; its passages were removed" for i in missing]
            lines.append(f"\nIndex updated: {md(report.ingest_summary)}")
            return lines

        label = f"deletion of {len(ids)} article{'s' if len(ids) != 1 else ''}"
        work = lambda progress: self.changes.delete(ids, progress)  # noqa: E731
        yield from self._follow(label, work, report_lines, session=_session(request))

    def rescan(self, request: gr.Request = None):
        work = lambda progress: self.changes.rescan(progress)  # noqa: E731
        report_lines = lambda report: [f"Index updated: {md(report.ingest_summary)}"]  # noqa: E731
        yield from self._follow("re-scan of the corpus folder", work, report_lines, session=_session(request))

    def add_links(self, text: str):
        """Fetch the feeds and article links in ``text`` (one or more, separated by spaces or lines) into the
        corpus and re-index, in the ingestion queue; yields (status, table, delete choices, header, link box)."""
        sources = (text or "").split()
        if not sources:
            yield (*self._after_change(["Paste a feed or article link (http or https) first."]), gr.skip())
            return
        if len(sources) > MAX_LINKS:
            yield (*self._after_change([f"⚠ At most {MAX_LINKS} links at a time."]), gr.skip())
            return

        def report_lines(result) -> list[str]:
            report, summary = result
            lines = [
                f"- {'✓ Added' if s.written else '= Unchanged'} **{md(s.title or s.url)}** ({md(s.path.name)})"
                for s in report.saved
            ]
            lines += [f"- ✗ {md(reason)}" for _, reason in report.failed]
            lines.append(f"\nIndex updated: {md(summary)}" if summary else "\nNothing new to index.")
            return lines

        label = f"{len(sources)} feed{'s' if len(sources) != 1 else ''} or link{'s' if len(sources) != 1 else ''}"
        work = lambda progress: self.changes.add_links(sources, progress)  # noqa: E731
        outputs = list(self._follow(label, work, report_lines))
        for waiting in outputs[:-1]:
            yield (*waiting, gr.skip())
        yield (*outputs[-1], "")


def article_choices(rows) -> list[tuple[str, str]]:
    """A dropdown's choices for the indexed articles: (title, cut at a word with "…" past 70 characters, and
    file, article id)."""
    return [(f"{one_line(r.title, 70)} ({r.file})", r.article_id) for r in rows]
