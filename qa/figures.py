"""The small statistics every tool reports with, written once: the evaluation runner, both benchmarks and the
training commands all take their percentiles, medians and token-overlap F1 from here."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100, numpy's default); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Iterable[float | None]) -> float | None:
    """The median of the values that are not ``None``; ``None`` when there are none."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def overlap_f1(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """F1 of the tokens two texts share (counted with multiplicity), as SQuAD scores answers; 0.0 when none is
    shared. Each caller normalizes and splits the texts its own way first."""
    common = sum((Counter(prediction) & Counter(reference)).values())
    if not common:
        return 0.0
    precision, recall = common / len(prediction), common / len(reference)
    return 2 * precision * recall / (precision + recall)
