"""HTML for the sources panel beside the chat: for each answered turn, one card per cited article holding each
of its cited passages inside their paragraph, the rewritten question, a disagreement between sources, the copy
text, and buttons to the other answers' sources; only one turn's sources show at a time.

Articles are looked up as they are on disk now (an ``ArticleLookup``), so a card says when its article changed or
left the corpus folder since the answer was given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from index.language import language_name
from index.types import Article
from ui.text import date_label, one_line, plain

CONTEXT_CHARS = 420  # of a long paragraph, shown on each side of the quote

ArticleLookup = Callable[[str], "Article | None"]


def _context(article: Article | None, c: dict) -> tuple[str, str]:
    """(HTML of the quote inside its paragraph, a note) for one citation."""
    start, end, quote = int(c["start"]), int(c["end"]), c["quote"]
    if article is None:
        return f"<mark>{plain(quote)}</mark>", "The article file is no longer in the corpus folder."
    text = article.text
    if text[start:end] != quote:
        return f"<mark>{plain(quote)}</mark>", "The article has changed since it was indexed."
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end == -1 else para_end
    before, after = text[para_start:start], text[end:para_end]
    lead = trail = ""
    if len(before) > CONTEXT_CHARS:
        before = before[-CONTEXT_CHARS:]
        before = before[before.find(" ") + 1 :] if " " in before else before
        lead = "… "
    if len(after) > CONTEXT_CHARS:
        after = after[:CONTEXT_CHARS].rsplit(" ", 1)[0]
        trail = " …"
    marked = re.sub(r"\n+", "</mark><br><mark>", plain(quote))
    return f"{lead}{plain(before)}<mark>{marked}</mark>{plain(after)}{trail}", ""


def match_words(score: float) -> str:
    """A cross-encoder relevance (logit) in words: above 5 the passage is about the question, below 0 barely."""
    if score >= 5:
        return "strong match"
    if score >= 0:
        return "partial match"
    return "weak match"


def _quote(c: dict, turn: int, article: Article | None, show_scores: bool, numbered: bool = True) -> str:
    """One cited passage inside its article's card: its marker (``numbered``: when the card holds more than one),
    the quote in its paragraph, its button."""
    n = c["n"]
    context, note = _context(article, c)
    language = c.get("language") or ""
    lang = f' lang="{plain(language)}"' if language else ""
    where = []
    if c.get("page"):
        where.append(f'<span class="nq-page">p. {int(c["page"])}</span>')
    if show_scores and c.get("score") is not None:
        where.append(
            f'<span class="nq-score" title="cross-encoder relevance {c["score"]:.2f} (logit)">'
            f"{match_words(c['score'])}</span>"
        )
    button = (
        f'<button type="button" class="nq-open" data-article="{plain(c["article_id"])}" '
        f'data-start="{int(c["start"])}" data-end="{int(c["end"])}">Open full article</button>'
        if article is not None
        else ""
    )
    return (
        f'<div class="nq-quote" id="src-{turn}-{n}" data-n="{n}">'
        + (f'<span class="nq-n">{n}</span>' if numbered else "")
        + (f'<span class="nq-where">{" · ".join(where)}</span>' if where else "")
        + f'<blockquote class="nq-context"{lang}>{context}</blockquote>'
        + (f'<div class="nq-note">{plain(note)}</div>' if note else "")
        + f'<div class="nq-card-actions">{button}</div></div>'
    )


def _card(cs: list[dict] | dict, turn: int, article: Article | None, show_scores: bool, closest: bool) -> str:
    """One card per article: its title and details once, then each of its cited passages (``cs``)."""
    cs = [cs] if isinstance(cs, dict) else cs
    c = cs[0]
    iso = c.get("date") or (article.date if article else None)
    meta = [f'<time class="nq-date" datetime="{plain(iso or "")}">{plain(date_label(iso))}</time>']
    if article and article.published:
        meta.append(f'<span class="nq-dateline">{plain(article.published)}</span>')
    if article and article.byline:
        meta.append(f'<span class="nq-byline">{plain(article.byline)}</span>')
    language = c.get("language") or ""
    if language:
        meta.append(
            f'<span class="nq-language" title="language of the passage, detected at ingestion">'
            f"{plain(language_name(language))}</span>"
        )
    file_name = Path(article.source).name if article and article.source else c["article_id"]
    meta.append(f'<code class="nq-id" title="file: {plain(file_name)}">{plain(c["article_id"])}</code>')
    cls = "nq-card nq-card-closest" if closest else "nq-card"
    numbers = "".join(f'<span class="nq-n">{x["n"]}</span>' for x in cs)
    return (
        f'<li class="{cls}" data-article="{plain(c["article_id"])}">'
        f'<div class="nq-card-head">{numbers}'
        f'<span class="nq-title">{plain(c["title"] or c["article_id"])}</span></div>'
        f'<div class="nq-meta">{" · ".join(meta)}</div>'
        + "".join(_quote(x, turn, article, show_scores, numbered=len(cs) > 1) for x in cs)
        + "</li>"
    )


def copy_text(answer: dict) -> str:
    """The answer with its numbered sources as plain text, for the clipboard."""
    lines = []
    if answer.get("standalone_question"):
        lines.append(f"Q: {answer['standalone_question']}")
    elif answer.get("question"):
        lines.append(f"Q: {answer['question']}")
    lines.append(answer["text"])
    if answer.get("conflict"):
        lines.append(f"Note: {answer['conflict']}")
    sources = answer.get("citations") or []
    if sources:
        lines.append("")
        lines.append("Sources:")
        for c in sources:
            where = f"{c.get('date') or 'date unknown'}; {c['article_id']}, chars {c['start']}-{c['end']}"
            if c.get("language"):
                where += f", {language_name(c['language'])}"
            lines.append(f"[{c['n']}] {c['title']} ({where}): “{c['quote']}”")
    return "\n".join(lines)


def _nav(prev: int | None, nxt: int | None, position: int, total: int) -> str:
    if total < 2:
        return ""

    def button(cls: str, target: int | None, label: str, glyph: str) -> str:
        if target is None:
            return f'<button type="button" class="{cls}" disabled aria-label="{label}">{glyph}</button>'
        return f'<button type="button" class="{cls}" data-turn="{target}" aria-label="{label}">{glyph}</button>'

    return (
        '<span class="nq-nav">'
        + button("nq-prev", prev, "Sources of the previous answer", "‹")
        + f"<span>answer {position} of {total}</span>"
        + button("nq-next", nxt, "Sources of the next answer", "›")
        + "</span>"
    )


def _turn_section(turn: dict, index: int, nav: str, active: bool, show_scores: bool, lookup: ArticleLookup) -> str:
    answer = turn["answer"]
    hidden = "" if active else " hidden"
    head = (
        f'<div class="nq-panel-head"><div class="nq-for">Sources for <q title="{plain(answer["question"])}">'
        f"{plain(one_line(answer['question'], 90))}</q></div>"
        f'<div class="nq-panel-tools">{nav}'
        '<button type="button" class="nq-copy" title="Copy the answer with its numbered sources">'
        "Copy answer with citations</button></div></div>"
    )
    parts = [f'<section class="nq-turn" data-turn="{index}"{hidden}>', head]
    if answer.get("standalone_question"):
        parts.append(f'<div class="nq-rewrite">Searched for: <q>{plain(answer["standalone_question"])}</q></div>')
    if answer.get("conflict"):
        parts.append(f'<div class="nq-conflict"><strong>⚠ Sources disagree.</strong> {plain(answer["conflict"])}</div>')
    if answer.get("abstained"):
        sources, closest = answer.get("closest") or [], True
        parts.append(
            '<div class="nq-refusal"><strong>The articles don\'t say.</strong> '
            + ("These are the closest passages; none answers the question." if sources else "Nothing came close.")
            + "</div>"
        )
    else:
        sources, closest = answer.get("citations") or [], False
    parts.append('<ol class="nq-cards">')
    by_article: dict[str, list[dict]] = {}
    for c in sources:  # one card per article, in the order the answer first cites it
        by_article.setdefault(c["article_id"], []).append(c)
    for article_id, cited in by_article.items():
        parts.append(_card(cited, index, lookup(article_id), show_scores, closest))
    parts.append("</ol>")
    parts.append(f'<textarea class="nq-copy-text" hidden readonly>{plain(copy_text(answer))}</textarea>')
    parts.append("</section>")
    return "".join(parts)


EMPTY_PANEL = (
    '<div class="nq-panel nq-empty"><h3>Sources</h3>'
    "<p>Every sentence of an answer cites a passage from the articles. The cited passages appear here, "
    "highlighted inside their paragraph.</p>"
    '<p>Hover over or click a marker like <span class="cite">1</span> in an answer to see its quote; '
    "open the whole article from its card.</p></div>"
)


def sources_panel(turns: list[dict], show_scores: bool, lookup: ArticleLookup, active: int | None = None) -> str:
    """All answered turns' sources; only ``active`` (default: the latest answer) is visible."""
    answered = [i for i, t in enumerate(turns) if t.get("answer")]
    if not answered:
        return EMPTY_PANEL
    if active not in answered:
        active = answered[-1]
    sections = []
    for k, i in enumerate(answered):
        prev = answered[k - 1] if k > 0 else None
        nxt = answered[k + 1] if k + 1 < len(answered) else None
        nav = _nav(prev, nxt, k + 1, len(answered))
        sections.append(_turn_section(turns[i], i, nav, i == active, show_scores, lookup))
    return f'<div class="nq-panel">{"".join(sections)}</div>'
