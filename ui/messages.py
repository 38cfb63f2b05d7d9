"""HTML for the chat: the question, the answer while it is found and written, the finished answer with its
citation markers linked, and an error, built from ``Answer.to_dict()``.

Chat messages are one HTML block with no blank lines, so the chatbot's Markdown pass leaves them alone,
and Markdown/LaTeX characters are written as entities for good measure (``ui/text.esc``). Citation markers link
to ``#cite-<turn>-<n>``; the page's script (``ui/static/app.js``) turns a click or hover on one into the quoted
passage (a popover) and the matching card in the sources panel.
"""

from __future__ import annotations

import re

from ui.text import esc, one_line

MARKER = re.compile(r"\[(\d+)\]")
TOOLTIP_CHARS = 300


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
            tip = f"{c['title']}: “{one_line(c['quote'], TOOLTIP_CHARS)}”"
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
