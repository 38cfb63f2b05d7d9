"""The corpus tab's progress bars: one per change in the ingestion queue (an upload batch, a deletion, a re-scan),
with its stage and count, and the results of changes that finished while a page was following its own.

A bar is an HTML ``<progress>`` inside the tab's Markdown status, named by the ``<label>`` around it (the
Markdown sanitizer drops ``aria-*`` attributes): "Upload of 3 files: embedding passages, 12/40 passages". Waiting and storing have no count yet, so
their bar is indeterminate (no ``value``). Labels name no file (they read "upload of 3 files"), so every page may
see every bar; results, which do name files, are kept per browser session.
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict

from ui.ingest_queue import Batch

MAX_SESSIONS = 200  # sessions whose recent results are kept
MAX_RESULTS = 10  # results kept per session


def stage(batch: Batch) -> str:
    """What the change is doing: waiting behind other changes, storing (or preparing), embedding, with the count."""
    if not batch.running:
        ahead = batch.ahead
        return f"waiting behind {ahead} change{'s' if ahead != 1 else ''} to the corpus"
    if batch.total:
        doing = "fetching" if batch.what == "pages" else "embedding"  # index/add.py counts pages, ingestion passages
        return f"{doing} {batch.what}, {batch.done:,}/{batch.total:,} {batch.what}"
    if batch.job.label.startswith("upload"):
        return "storing files"
    return "reading feeds and links" if "link" in batch.job.label else "checking the corpus folder"


def bar(batch: Batch) -> str:
    """One batch's bar as a raw HTML block (a line of its own in Markdown)."""
    label = html.escape(f"{batch.job.label[:1].upper()}{batch.job.label[1:]}: {stage(batch)}")
    value = f' value="{batch.done}" max="{batch.total}"' if batch.running and batch.total else ""
    return (
        f'<label class="nq-batch"><span class="nq-batch-label">{label}</span>'
        f'<progress class="nq-batch-bar"{value} title="{label}"></progress></label>'
    )


def bars(batches: list[Batch]) -> str:
    return "\n\n".join(bar(b) for b in batches)


class Results:
    """The result lines of finished changes, per browser session (``None``: callers without one, such as tests),
    so a page following a second change still shows the first one's result."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_session: OrderedDict[str | None, list[tuple[int, list[str]]]] = OrderedDict()

    def mark(self, session: str | None) -> int:
        """Where the session's results stand now: ``since(session, mark)`` gives those added after."""
        with self._lock:
            return max((number for number, _ in self._by_session.get(session, [])), default=0)

    def add(self, session: str | None, number: int, lines: list[str]) -> None:
        with self._lock:
            kept = self._by_session.pop(session, [])
            self._by_session[session] = [*kept, (number, lines)][-MAX_RESULTS:]
            while len(self._by_session) > MAX_SESSIONS:
                self._by_session.popitem(last=False)

    def since(self, session: str | None, mark: int, but: int = 0) -> list[list[str]]:
        """The session's results of changes numbered after ``mark`` (other than ``but``), in change order."""
        with self._lock:
            found = [(n, lines) for n, lines in self._by_session.get(session, []) if n > mark and n != but]
        return [lines for _, lines in sorted(found)]
