"""Which articles a question is answered from: a publication date range and a set of article ids (empty: all).

One frozen value that every search path reads: the keyword index (``holds``), Chroma's dense search (``where``)
and the e5 store (``where`` on ids, ``holds`` for the dates it does not store).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.dates import DateRange


@dataclass(frozen=True)
class Scope:
    dates: DateRange = field(default_factory=DateRange)
    articles: frozenset[str] = frozenset()  # article ids; empty: every article

    @property
    def bounded(self) -> bool:
        return self.dates.bounded or bool(self.articles)

    def holds(self, article_id: str, date: str | None) -> bool:
        return (not self.articles or article_id in self.articles) and self.dates.holds(date)

    def where(self) -> dict | None:
        """The Chroma ``where`` filter: the stored ``date_num`` in the range and ``article_id`` among the chosen."""
        ids = {"article_id": {"$in": sorted(self.articles)}} if self.articles else None
        parts = [p for p in (self.dates.where(), ids) if p]
        return parts[0] if len(parts) == 1 else ({"$and": parts} if parts else None)

    def ids_only(self) -> Scope:
        """The same articles at any date: for the e5 store, which keeps no dates (``holds`` checks them after)."""
        return Scope(articles=self.articles)
