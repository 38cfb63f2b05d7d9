"""A conversation as a file to keep: Markdown for people (each answer with its numbered sources, their quotes, titles
and dates) and JSON for programs (each turn's ``Answer.to_dict()``). A refusal keeps its closest passages."""

from __future__ import annotations

import json
import re

_QUOTE_BREAKS = re.compile(r"\s*\n\s*")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#!<>|~])")


def md(text: str) -> str:
    """Text as Markdown that shows it as written: every character Markdown or HTML gives a meaning to is
    backslash-escaped (an article's ``![pix](http://host/x.png)`` stays text in any Markdown viewer)."""
    return _MARKDOWN.sub(r"\\\1", str(text))


_LEAD = re.compile(r"^\*\*(.+?)\*\*: ", re.S)


def _answer_text(text: str) -> str:
    """The answer escaped, its bold short answer (``**span**: ``) kept bold."""
    lead = _LEAD.match(text)
    if not lead:
        return md(text)
    return f"**{md(lead.group(1))}**: {md(text[lead.end() :])}"


def _source_line(c: dict) -> str:
    where = c["article_id"]
    date = c.get("date") or c.get("published") or ""
    title = md(c.get("title") or c["article_id"])
    quote = md(_QUOTE_BREAKS.sub(" ", c["quote"]).strip())
    dated = f", {md(date)}" if date else ""
    where = where.replace("`", "")  # a code span: shown as written
    return f"{c['n']}. *{title}*{dated} (`{where}`, characters {c['start']}-{c['end']}): “{quote}”"


def conversation_markdown(title: str, turns: list[dict]) -> str:
    lines = [f"# {md(title)}", ""]
    for k, turn in enumerate(turns, 1):
        lines += [f"## {k}. {md(turn['question'])}", ""]
        answer = turn.get("answer")
        if answer is None:
            lines += [f"Could not answer: {md(turn.get('error') or 'unknown error')}", ""]
            continue
        if answer.get("standalone_question"):
            lines += [f"*Searched for:* {md(answer['standalone_question'])}", ""]
        lines += [_answer_text(answer["text"]), ""]
        if answer.get("conflict"):
            lines += [f"**Note:** {md(answer['conflict'])}", ""]
        if answer.get("notice"):
            lines += [f"*{md(answer['notice'])}*", ""]
        if answer.get("abstained"):
            closest = answer.get("closest") or []
            if closest:
                lines += ["Closest passages (none answers the question):", ""]
                lines += [_source_line(c) for c in closest] + [""]
        elif answer.get("citations"):
            lines += ["Sources:", ""]
            lines += [_source_line(c) for c in answer["citations"]] + [""]
    return "\n".join(lines).rstrip() + "\n"


def conversation_json(title: str, turns: list[dict]) -> str:
    """{"title", "turns": [{"question", "answer": Answer.to_dict() or null, "error"}]}"""
    body = {
        "title": title,
        "turns": [{"question": t["question"], "answer": t.get("answer"), "error": t.get("error", "")} for t in turns],
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"
