"""HTML for the chat messages, the sources panel and the article viewer, built from ``Answer.to_dict()``.

Everything that came from an article, a question or a model is escaped here; the only markup is ours.
Chat messages are one HTML block with no blank lines, so the chatbot's Markdown pass leaves them alone,
and Markdown/LaTeX characters are written as entities for good measure.

Citation markers link to ``#cite-<turn>-<n>``; ``ui/assets.py`` turns a click or hover on one into the
quoted passage (a popover) and the matching card in the sources panel.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

from index.instructions import planted_instructions
from index.language import language_name
from qa.types import Article

MARKER = re.compile(r"\[(\d+)\]")
CONTEXT_CHARS = 420  # of a long paragraph, shown on each side of the quote
TOOLTIP_CHARS = 300
_ENTITIES = {ord(c): f"&#{ord(c)};" for c in "&<>\"'*_`[]#$~|\\{}"}  # one pass: no double escaping

ArticleLookup = Callable[[str], "Article | None"]


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


def _one_line(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- chat messages --------------------------------------------------------------------------------


def _lines(escaped: str) -> str:
    """Line breaks as <br>: a blank line would end the HTML block and let Markdown in."""
    return re.sub(r"\s*\n\s*", "<br>", escaped.strip())


def user_message(question: str) -> str:
    return f'<div class="nq-user">{_lines(esc(question))}</div>'


def pending_message(stage: str = "Searching the articles") -> str:
    """The bubble while nothing is verified yet; the stage shows only after half a second (CSS), so a fast
    answer does not flash through its stages."""
    return f'<div class="nq-answer nq-pending" role="status"><span class="nq-dots">{esc(stage)}</span></div>'


def draft_message(stage: str, draft: str, verified: str) -> str:
    """A model's answer while it writes: the verified sentences, then its unverified text greyed out."""
    body = streaming_message(verified) if verified else ""
    return (
        f'<div class="nq-answer nq-drafting">{body}'
        f'<div class="nq-draft" aria-hidden="true">{_lines(esc(draft[-1200:]))}</div>'
        f'<div class="nq-stage" role="status">{esc(stage)}</div></div>'
    )


_SHORT = re.compile(r"^\*\*(.+?)\*\*: ", re.S)


def _short_answer(text: str) -> tuple[str, str]:
    """("<strong>short answer</strong>: ", the rest) for an answer led by the reader's span in bold."""
    match = _SHORT.match(text)
    if not match:
        return "", text
    return f'<strong class="nq-short">{esc(match.group(1))}</strong>: ', text[match.end() :]


def streaming_message(text: str) -> str:
    """The answer as verified so far; markers are shown but not linked until the answer is complete."""
    lead, text = _short_answer(text)
    body = lead + _lines(esc(text))
    body = re.sub(r"&#91;(\d+)&#93;", r'<span class="cite nq-cite-pending">\1</span>', body)
    return f'<div class="nq-answer nq-streaming">{body}<span class="nq-caret"></span></div>'


def error_message(message: str) -> str:
    return (
        f'<div class="nq-answer nq-error" role="alert"><strong>Could not answer.</strong> {_lines(esc(message))}</div>'
    )


def _linked(text: str, turn: int, citations: dict[int, dict], cls: str = "cite") -> str:
    """Escaped ``text`` with each known ``[n]`` turned into a link to its source card."""
    out, last = [], 0
    for match in MARKER.finditer(text):
        out.append(esc(text[last : match.start()]))
        n = int(match.group(1))
        c = citations.get(n)
        if c is None:
            out.append(esc(match.group()))
        else:
            tip = f"{c['title']}: “{_one_line(c['quote'], TOOLTIP_CHARS)}”"
            out.append(f'<a class="{cls}" href="#cite-{turn}-{n}" title="{esc(tip)}" aria-label="Source {n}">{n}</a>')
        last = match.end()
    out.append(esc(text[last:]))
    return _lines("".join(out))


def answer_message(answer: dict, turn: int) -> str:
    """The finished answer: rewrite note, linked text, refusal, conflict and notice, one HTML block."""
    parts = ['<div class="nq-answer">']
    if answer.get("standalone_question"):
        parts.append(
            '<div class="nq-rewrite" title="Follow-up questions are rewritten to stand alone before searching">'
            f'Understood as: <q class="nq-standalone">{_lines(esc(answer["standalone_question"]))}</q></div>'
        )
    citations = {c["n"]: c for c in answer.get("citations", [])}
    if answer.get("abstained"):
        parts.append(f'<div class="nq-refusal"><strong>{_lines(esc(answer["text"]))}</strong>')
        closest = answer.get("closest") or []
        if closest:
            links = _linked(
                " ".join(f"[{c['n']}]" for c in closest), turn, {c["n"]: c for c in closest}, cls="cite nq-cite-closest"
            )
            parts.append(
                f" No passage answers this question. Closest coverage: {links} (see the panel; not an answer)."
            )
        parts.append("</div>")
    else:
        lead, rest = _short_answer(answer["text"])
        parts.append(f'<div class="nq-text">{lead}{_linked(rest, turn, citations)}</div>')
    if answer.get("conflict"):
        parts.append(
            '<div class="nq-conflict" role="note"><strong>⚠ Sources disagree.</strong> '
            f"{_linked(answer['conflict'], turn, citations)}</div>"
        )
    if answer.get("notice"):
        parts.append(f'<div class="nq-notice">{_lines(esc(answer["notice"]))}</div>')
    total = (answer.get("timings") or {}).get("total")
    foot = [esc(answer.get("generator", ""))]
    if citations:
        foot.append(f"{len(citations)} source{'s' if len(citations) != 1 else ''}")
    if total is not None:
        foot.append(f"{total:.2f} s")
    parts.append(f'<div class="nq-foot">{" · ".join(foot)}</div>')
    parts.append("</div>")
    return "".join(parts)


def turn_messages(turns: list[dict], pending: dict | None = None) -> list[dict]:
    """Chatbot messages (two per turn: user, assistant) for the stored turns and one in progress."""
    messages = []
    for i, turn in enumerate(turns):
        messages.append({"role": "user", "content": user_message(turn["question"])})
        if turn.get("answer"):
            content = answer_message(turn["answer"], i)
        else:
            content = error_message(turn.get("error") or "no answer")
        messages.append({"role": "assistant", "content": content})
    if pending is not None:
        messages.append({"role": "user", "content": user_message(pending["question"])})
        text, stage, draft = pending.get("text", ""), pending.get("stage", ""), pending.get("draft", "")
        if draft:
            content = draft_message(stage, draft, text)
        elif text:
            content = streaming_message(text)
        else:
            content = pending_message(stage or "Searching the articles")
        messages.append({"role": "assistant", "content": content})
    return messages


# --- sources panel --------------------------------------------------------------------------------


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
        f"{plain(_one_line(answer['question'], 90))}</q></div>"
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


# --- article viewer -------------------------------------------------------------------------------

PLANTED_TITLE = "An instruction written in the article: shown as article text, never followed or used as support"


def quoted_instructions(text: str, begin: int, stop: int, planted: list[tuple[int, int]]) -> str:
    """``text[begin:stop]`` escaped, each planted instruction wholly inside it quoted and labelled as such."""
    out, cursor = [], begin
    for s, e in planted:
        if begin <= s and e <= stop:
            out.append(plain(text[cursor:s]))
            out.append(f'<q class="nq-planted" title="{PLANTED_TITLE}">{plain(text[s:e])}</q>')
            cursor = e
    out.append(plain(text[cursor:stop]))
    return "".join(out)


def article_view(article: Article, start: int, end: int) -> dict:
    """The whole article as paragraphs, with [start, end) highlighted (``<mark id="nq-hit">``)."""
    text = article.text
    start = max(0, min(int(start), len(text)))
    end = max(start, min(int(end), len(text)))

    planted = planted_instructions(text)

    def paragraphs(begin: int, stop: int) -> str:
        return quoted_instructions(text, begin, stop, planted).replace("\n", "</p><p>")

    hit = re.sub(r"\n+", '</mark></p><p><mark class="nq-hit-more">', quoted_instructions(text, start, end, planted))
    body = f'<p>{paragraphs(0, start)}<mark id="nq-hit">{hit}</mark>{paragraphs(end, len(text))}</p>'
    body = body.replace("<p></p>", "")
    meta = [plain(date_label(article.date))]
    if article.published:
        meta.append(plain(article.published))
    if article.byline:
        meta.append(plain(article.byline))
    meta.append(plain(Path(article.source).name if article.source else article.id))
    return {"title": plain(article.title), "meta": " · ".join(meta), "html": body}
