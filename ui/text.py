"""Text written into the page: escaped for HTML, chat messages and Markdown, dates as people read them, and a
line cut to a length. Everything that came from an article, a question or a model goes through here, so the only
markup on the page is ours."""

from __future__ import annotations

import html

_ENTITIES = {ord(c): f"&#{ord(c)};" for c in "&<>\"'*_`[]#$~|\\{}"}  # one pass: no double escaping


def esc(text: str) -> str:
    """HTML-escape, and neutralise Markdown and LaTeX characters (for chat messages)."""
    return str(text).translate(_ENTITIES)


def date_label(iso: str | None) -> str:
    """A publication date as people read it ("Oct 14, 2025"); "date unknown" when there is none."""
    from datetime import date

    if not iso:
        return "date unknown"
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day:%b} {day.day}, {day.year}"


def plain(text: str) -> str:
    return html.escape(str(text), quote=True)


_MARKDOWN_ENTITIES = {**_ENTITIES, **{ord(c): f"&#{ord(c)};" for c in "!():<>"}}


def md(text: str) -> str:
    """For text shown through a Markdown component (the corpus tab's status): HTML-escaped, and every
    character Markdown gives a meaning to written as an entity, so an article title such as
    ``![pix](http://host/track.png)`` shows as text and loads nothing (``:`` too: no bare-URL links)."""
    return str(text).translate(_MARKDOWN_ENTITIES)


def one_line(text: str, limit: int, *, ellipsis_within: bool = True) -> str:
    """``text`` on one line (runs of white space as one space), cut at a word boundary with "…" when longer than
    ``limit`` characters: the cut text and its "…" fit in ``limit``, or (``ellipsis_within=False``) the cut text
    alone does."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1 if ellipsis_within else limit].rsplit(" ", 1)[0] + "…"
