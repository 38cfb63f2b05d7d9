"""Changing the corpus from the app: uploads, deletions, feeds and links, a rescan; each followed by an incremental
ingestion with the app's one embedding model.

``CorpusChanges`` makes one change at a time (its lock; the ingestion also locks the index against other
processes). What a file must be to be stored, and how it is named, is ``ui/corpus.py``'s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from index.chroma import check_writable
from qa.settings import Settings
from ui.corpus import ChangeReport, UploadError, base_name, batch_error, delete_files, indexed_hashes, store_upload

ProgressFn = Callable[[int, int, str], None]
MAX_LINKS = 10  # feeds or links per request from the app


class CorpusChanges:
    """The corpus changes of one app: ``embedder`` is the app's embedding model (the one its engine's index was
    built with); when not given, one is loaded at the first change and kept."""

    def __init__(self, settings: Settings, embedder=None):
        self.settings = settings
        self._embedder = embedder
        self._lock = threading.Lock()  # one corpus change at a time

    @property
    def embedder(self):
        if self._embedder is None:
            from index.embed import Embedder

            self._embedder = Embedder(self.settings.threads)
        return self._embedder

    def reindex(self, progress: ProgressFn | None = None) -> str:
        """Run incremental ingestion (it changes the index's generation, so answer engines pick the change up);
        returns the summary."""
        from index.ingest import ingest

        report = ingest(self.settings, self.embedder, Path(self.settings.corpus_dir), progress)
        text = report.summary()
        for skipped in report.skipped:
            text += f"\n- skipped {Path(skipped.source).name}: {skipped.reason}"
        return text

    def upload(
        self, files: list[tuple[str, bytes]], progress: ProgressFn | None = None, replace: bool = False
    ) -> ChangeReport:
        settings = self.settings
        report = ChangeReport()
        refusal = batch_error(len(files), sum(len(data) for _, data in files))
        if refusal:
            report.refused.extend((Path(base_name(name)).name, refusal) for name, _ in files)
            return report
        with self._lock:
            check_writable(settings)  # a read-only index: refused before any file is written
            taken: set[str] = set()
            known = indexed_hashes(settings)
            for original, data in files:
                try:
                    report.stored.append(store_upload(settings, original, data, replace, taken, known))
                except UploadError as exc:
                    report.refused.append((Path(base_name(original)).name, str(exc)))
            if report.stored:
                try:
                    report.ingest_summary = self.reindex(progress)
                except Exception:
                    for stored in report.stored:  # no file stays in the corpus folder that the index does not hold
                        if not stored.replaced:
                            (Path(settings.corpus_dir) / stored.name).unlink(missing_ok=True)
                    raise
        return report

    def delete(self, ids: list[str], progress: ProgressFn | None = None) -> ChangeReport:
        report = ChangeReport()
        with self._lock:
            check_writable(self.settings)  # a read-only index: nothing is deleted
            report.deleted = delete_files(self.settings, ids)
            report.ingest_summary = self.reindex(progress)
        return report

    def add_links(self, sources: list[str], progress: ProgressFn | None = None):
        """Fetch feeds and links into the corpus (index/add.py, under ``QA_FETCH_*``) and re-index when a file was
        written: (AddReport, ingest summary or "")."""
        from index.add import add_sources
        from index.fetch import Fetcher, FetchPolicy

        with self._lock:
            fetcher = Fetcher(FetchPolicy.from_settings(self.settings))
            report = add_sources(sources, Path(self.settings.corpus_dir), fetcher, progress)
            return report, (self.reindex(progress) if report.written else "")

    def rescan(self, progress: ProgressFn | None = None) -> ChangeReport:
        with self._lock:
            check_writable(self.settings)
            return ChangeReport(ingest_summary=self.reindex(progress))
