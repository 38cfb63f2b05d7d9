"""The one error class of the benchmarks: the data cannot be fetched or read, or a measurement failed; the message
says what to do. A module of its own so that every benchmark module (and training, which reads the same archive)
can raise it without importing the others."""

from __future__ import annotations

from index.errors import UserError


class BenchError(UserError):
    """The benchmark data cannot be fetched or read, or a measurement failed; the message says what to do."""
