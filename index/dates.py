"""Publication dates: parsed to ISO ``YYYY-MM-DD``, found in an article's head (a dateline
such as "WASHINGTON, Oct. 14, 2025 —", a line of its own) or on a byline line; never guessed from the
indexing time. A date must name its day, month and year ("Oct. 2025" and "on Friday" are no date)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime

from index.patterns import MONTH_ABBREVIATION

_MONTH = MONTH_ABBREVIATION
CANDIDATE = re.compile(
    rf"\b(?:{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}"  # Oct. 14, 2025 / October 14th 2025
    rf"|\d{{1,2}} {_MONTH},? \d{{4}}"  # 14 October 2025
    r"|\d{4}-\d{2}-\d{2}"  # 2025-10-14 (and the date of 2025-10-14T08:30:00Z)
    r"|\d{1,2}-[A-Z]{3}-\d{4})(?!\d)",  # 26-FEB-1987 (Reuters)
    re.IGNORECASE,
)
HEAD_LINES = 6  # a dateline or date line is among an article's first lines
DATE_LINE_CHARS = 100  # a line this short holding a date is a date line ("Published Tuesday, Oct. 14, 2025")
# ... or the date opens a longer line after at most a place and a separator: "WASHINGTON, Oct. 14, 2025 —"
_DATELINE_PREFIX = re.compile(r"^\s*(?:[A-Z][\w.'()\-]*(?: [\w.'()\-]+){0,2}\s*[,:—–\-]\s*)?$")
_BYLINE = re.compile(r"^\s*By\s+[A-Z]")


def parse_date(value: str | None) -> str | None:
    """The date ``value`` names as ISO, or None unless it names a day, month and year: "next week", "Friday"
    and "Oct. 2025" are no publication date (never one made relative to today)."""
    match = CANDIDATE.search(value or "")
    return _parse_candidate(match.group()) if match else None


_FORMATS = ("%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%d", "%d-%b-%Y")  # CANDIDATE's spellings


@functools.lru_cache(maxsize=4096)
def _parse_candidate(text: str) -> str | None:
    """A CANDIDATE match as ISO: ordinals, full stops and commas dropped, then read in one of its spellings
    (a month, day and year that do not exist, such as Oct. 32, are no date)."""
    plain = re.sub(r"(?<=\d)(?:st|nd|rd|th)\b|[.,]", " ", text).replace("Sept ", "Sep ")
    plain = " ".join(plain.split())
    for form in _FORMATS:
        try:
            parsed = datetime.strptime(plain, form)
        except ValueError:
            continue
        return parsed.date().isoformat() if 1800 <= parsed.year <= 2200 else None
    return None


def find_date(text: str) -> str | None:
    """The article's own date: in a head line near its start (dateline, date line), else on a byline line."""
    lines = text.split("\n")
    for line in lines[:HEAD_LINES]:
        for match in CANDIDATE.finditer(line):
            if len(line.strip()) <= DATE_LINE_CHARS or _DATELINE_PREFIX.match(line[: match.start()]):
                found = parse_date(match.group())
                if found:
                    return found
    for line in lines:
        if _BYLINE.match(line) and len(line) < 120:
            match = CANDIDATE.search(line)
            found = parse_date(match.group()) if match else None
            if found:
                return found
    return None


def date_number(iso: str | None) -> int:
    """A sortable number for filtering (20251014); 0 when there is no date."""
    return int(iso.replace("-", "")) if iso else 0


def parse_bound(value: str) -> str:
    """A ``--since``/``--until`` bound: exactly ``YYYY-MM-DD``, else ValueError saying so."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2025-09-01")


@dataclass(frozen=True)
class DateRange:
    """Publication dates from ``since`` to ``until`` (ISO, both included; None: open). An article without a
    date is outside every range that has a bound: nothing says when it was published."""

    since: str | None = None
    until: str | None = None

    @property
    def bounded(self) -> bool:
        return bool(self.since or self.until)

    def describe(self) -> str:
        """ "between 2025-01-01 and 2025-12-31", "since 2025-01-01", "until 2024-12-31" or ""."""
        if self.since and self.until:
            return f"between {self.since} and {self.until}"
        return f"since {self.since}" if self.since else (f"until {self.until}" if self.until else "")

    def numbers(self) -> tuple[int, int]:
        return max(date_number(self.since), 1), date_number(self.until) or 99_999_999

    def holds(self, date: str | None) -> bool:
        low, high = self.numbers()
        return not self.bounded or low <= date_number(date) <= high

    def where(self) -> dict | None:
        """The Chroma ``where`` filter on the stored ``date_num``."""
        if not self.bounded:
            return None
        low, high = self.numbers()
        return {"$and": [{"date_num": {"$gte": low}}, {"date_num": {"$lte": high}}]}
