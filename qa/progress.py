"""A progress callback drawn as a bar on stderr, for the long-running tools (ingesting a benchmark's corpus,
building a synthetic collection): the one place that turns ``(done, total, what)`` reports into a tqdm bar."""

from __future__ import annotations

import sys


class ProgressBar:
    """Call it as ``index.ingest.ingest``'s ``progress`` callback; the bar appears on the first report, its unit
    taken from ``what`` ("passages" -> "passage") unless ``unit`` is given, and closes once ``done`` reaches
    ``total`` (or on ``close()``)."""

    def __init__(self, desc: str, unit: str | None = None, mininterval: float = 0.1):
        self.desc, self.unit, self.mininterval = desc, unit, mininterval
        self.bar = None

    def __call__(self, done: int, total: int, what: str = "") -> None:
        if self.bar is None:
            from tqdm import tqdm

            unit = self.unit or what.rstrip("s") or "it"
            self.bar = tqdm(total=total, unit=unit, desc=self.desc, file=sys.stderr, mininterval=self.mininterval)
        self.bar.update(done - self.bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
