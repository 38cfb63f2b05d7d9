"""Uploads, deletes and re-scans run in one background queue, one change at a time and in order, and questions are
answered while a large upload is being embedded."""

from __future__ import annotations

import threading
import time

import pytest
from ui_server import seeded_copy

from ui.app import App
from ui.batch_bars import bars
from ui.corpus import list_articles
from ui.ingest_queue import IngestQueue

TIKTOK = "How many American users does TikTok have?"


def test_changes_run_one_at_a_time_in_the_order_they_were_submitted():
    queue = IngestQueue()
    spans: list[tuple[int, float, float]] = []

    def work(number: int):
        def run(progress):
            started = time.perf_counter()
            progress(1, 2, "passages")
            time.sleep(0.15)
            spans.append((number, started, time.perf_counter()))
            return number

        return run

    jobs = [queue.submit(f"upload {n}", work(n)) for n in range(1, 5)]
    assert [job.number for job, _ in jobs] == [1, 2, 3, 4]
    assert queue.ahead_of(jobs[3][0]) == 3
    assert queue.status(jobs[3][0]) == "Waiting: 3 changes to the corpus before this upload 4."
    assert queue.status().startswith("Indexing the upload 1") and "3 more waiting" in queue.status()
    assert [future.result(timeout=10) for _, future in jobs] == [1, 2, 3, 4]
    assert [number for number, _, _ in spans] == [1, 2, 3, 4]
    for (_, _, ended), (_, started, _) in zip(spans, spans[1:], strict=False):
        assert started >= ended  # never two at once
    assert queue.status() == "The index is up to date; no change is waiting."
    queue.shutdown()


def test_each_batch_has_a_bar_with_its_stage_and_count():
    queue = IngestQueue()
    started, stored, embedded = threading.Event(), threading.Event(), threading.Event()

    def first(progress):
        started.set()
        stored.wait(10)
        progress(12, 40, "passages")
        embedded.wait(10)

    _, running = queue.submit("upload of 3 files", first)
    _, waiting = queue.submit("upload of 1 file", lambda progress: None)
    assert started.wait(10)
    shown = bars(queue.batches())
    assert "Upload of 3 files: storing files</span>" in shown  # running, no count yet: an indeterminate bar
    assert "Upload of 1 file: waiting behind 1 change to the corpus</span>" in shown
    assert shown.count("<progress") == 2 and "value=" not in shown
    stored.set()
    deadline = time.monotonic() + 10
    while "value=" not in bars(queue.batches()) and time.monotonic() < deadline:
        time.sleep(0.01)
    first_bar, second_bar = bars(queue.batches()).split("\n\n")
    assert (
        ">Upload of 3 files: embedding passages, 12/40 passages</span>" in first_bar
        and 'value="12" max="40"' in first_bar
    )
    assert "waiting behind 1 change" in second_bar
    embedded.set()
    running.result(10), waiting.result(10)
    assert queue.batches() == []
    queue.shutdown()


def test_a_links_bar_says_it_is_reading_then_fetching_pages():
    from ui.batch_bars import stage
    from ui.ingest_queue import Batch, Job

    job = Job(1, "2 feeds or links")
    assert stage(Batch(job, 0, True)) == "reading feeds and links"
    assert stage(Batch(job, 0, True, 3, 7, "pages")) == "fetching pages, 3/7 pages"
    assert stage(Batch(job, 0, True, 12, 40, "passages")) == "embedding passages, 12/40 passages"  # then indexing


def test_a_failed_change_does_not_stop_the_queue():
    queue = IngestQueue()

    def fail(progress):
        raise OSError("disk full")

    _, failed = queue.submit("upload 1", fail)
    _, fine = queue.submit("upload 2", lambda progress: "done")
    assert isinstance(failed.exception(timeout=10), OSError) and fine.result(timeout=10) == "done"
    queue.shutdown()


def _long_article(paragraphs: int, title: str = "Council meets") -> str:
    line = (
        "The council met again on Tuesday and discussed the harbour budget, the ferry timetable, the school "
        "roof, the new library opening hours and the price of the parking permits near the old fish market."
    )  # over 150 characters: one passage per paragraph
    return f"{title}\n\n" + "\n\n".join(f"{line} Item {i}." for i in range(paragraphs)) + "\n"


@pytest.mark.slow
def test_a_question_is_answered_while_a_large_upload_is_embedded(tmp_path, embedder):
    settings = seeded_copy(tmp_path, embedder)
    app = App(settings)
    assert app.api_ask(TIKTOK)["citations"]  # models loaded before the upload starts
    uploads = [tmp_path / f"council{i}.txt" for i in range(5)]  # 5 x 450 passages
    for i, path in enumerate(uploads):
        path.write_text(_long_article(450, f"Council meets, part {i}"))
    statuses: list[str] = []
    follower = threading.Thread(target=lambda: statuses.extend(out[0] for out in app.upload([str(p) for p in uploads])))
    uploaded = time.perf_counter()
    follower.start()
    deadline = time.monotonic() + 120
    while "embedded" not in app.ingest.status() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "Indexing the upload of 5 files" in app.ingest.status()

    started = time.perf_counter()
    answer = app.api_ask(TIKTOK)
    seconds = time.perf_counter() - started
    still_embedding = "embedded" in app.ingest.status()
    follower.join(300)
    assert "170 million" in answer["text"] and answer["citations"]
    assert still_embedding, f"the upload was finished before the answer ({seconds:.1f} s)"
    assert any("Upload of 5 files: embedding passages, " in s for s in statuses)  # the bar's label the user sees
    assert statuses[-1].count("Added **council") == 5 and "Index updated" in statuses[-1]
    assert {f"council{i}" for i in range(5)} <= {row.article_id for row in list_articles(settings)}
    print(f"answered in {seconds:.1f} s while the upload was embedded ({time.perf_counter() - uploaded:.0f} s)")
