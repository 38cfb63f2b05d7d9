"""Cross-article conflicts: cited sentences from different articles that give the same figure over
different periods, or different figures for the same thing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.keyword import tokenize
from index.patterns import MONTH_NAMES, NUMBER, SCALE_UNITS

_MONTHS = MONTH_NAMES
PERIOD = re.compile(
    rf"\b(?:(?:from |between )?(?:{_MONTHS})(?: \d{{4}})? (?:through|to|and|until) (?:{_MONTHS})(?: \d{{4}})?"
    rf"|(?:the )?(?:first|second|third|fourth|last) (?:half|quarter)(?: of \d{{4}})?"
    rf"|(?:in |since |during )?(?:{_MONTHS})(?: \d{{4}})?|this year|last year|a year earlier|\b(?:19|20)\d{{2}})\b",
    re.IGNORECASE,
)
FIGURE = re.compile(rf"({NUMBER})\s*(%|percent|per cent|{SCALE_UNITS})?", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    n: int  # citation number
    article_id: str
    quote: str
    date: str | None = None  # the article's publication date, ISO


def _figures(text: str) -> set[tuple[str, str]]:
    out = set()
    for number, unit in FIGURE.findall(text):
        unit = {"percent": "%", "per cent": "%"}.get(unit.lower(), unit.lower())
        if unit:  # bare numbers (years, counts) are too ambiguous to compare
            out.add((number.replace(",", ""), unit))
    return out


def _periods(text: str) -> list[str]:
    """Time expressions in ``text``, most specific (longest) first."""
    found: list[str] = []
    for match in PERIOD.finditer(text):
        period = match.group().strip()
        if period.lower() not in (p.lower() for p in found):
            found.append(period)
    return sorted(found, key=len, reverse=True)


def newer(a: Claim, b: Claim) -> str:
    """Which of two disagreeing sources is the newer article, when both are dated differently; else ""."""
    if not (a.date and b.date) or a.date == b.date:
        return ""
    first, second = (a, b) if a.date > b.date else (b, a)
    return f" [{first.n}] is the newer article ({first.date}; [{second.n}]: {second.date})."


def find_conflict(claims: list[Claim]) -> str:
    """A sentence for the reader when two articles disagree (saying which is newer when both are dated), or ""."""
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if a.article_id == b.article_id:
                continue
            figures_a, figures_b = _figures(a.quote), _figures(b.quote)
            shared = figures_a & figures_b
            periods_a, periods_b = _periods(a.quote), _periods(b.quote)
            if shared and periods_a and periods_b and {p.lower() for p in periods_a} != {p.lower() for p in periods_b}:
                number, unit = sorted(shared)[0]
                figure = f"{number}{unit}" if unit == "%" else f"{number} {unit}"
                return (
                    f"The sources give the {figure} figure over different periods: "
                    f"[{a.n}] says “{periods_a[0]}”, [{b.n}] says “{periods_b[0]}”." + newer(a, b)
                )
            units_a = {u for _, u in figures_a}
            context = set(tokenize(a.quote)) & set(tokenize(b.quote))
            if not shared and figures_a and figures_b and units_a & {u for _, u in figures_b} and len(context) >= 4:
                fa = ", ".join(n + (u if u == "%" else " " + u) for n, u in sorted(figures_a))
                fb = ", ".join(n + (u if u == "%" else " " + u) for n, u in sorted(figures_b))
                return f"The sources give different figures: [{a.n}] says {fa}, [{b.n}] says {fb}." + newer(a, b)
    return ""
