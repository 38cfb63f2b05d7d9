"""Follow-up questions rewritten into standalone ones, without a language model.

"And what did he say about sanctions?" after a turn about Li Chenggang becomes
"What did Li Chenggang say about sanctions?". Pronouns take the most recent name from the
conversation; an elliptical question ("What about soybeans?") borrows the previous question.
"""

from __future__ import annotations

import re

_PERSON_PRONOUNS = re.compile(r"\b(he|she|him|her|his|hers)\b", re.IGNORECASE)
_THING_PRONOUNS = re.compile(r"\b(it|its|they|them|their|that|this|these|those|there)\b", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(and|so|also|but|ok(?:ay)?|then|well)\b[\s,]*", re.IGNORECASE)
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\??\s*$", re.IGNORECASE)
_NAME = re.compile(r"\b([A-Z][a-z]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][a-z]+)+)\b")
_NOT_PERSON_WORDS = {
    "United", "States", "China", "American", "Chinese", "Treasury", "Secretary", "President", "White", "House",
    "Supreme", "Court", "Soybean", "Association", "Center", "Administration", "Congress", "Asian", "Kuala",
    "Lumpur", "Southeast", "Asia", "Latin", "America", "Phase", "One", "Vice", "Premier", "Trade", "Representative",
}  # fmt: skip
_QUESTION_WORDS = {"What", "Who", "When", "Where", "Why", "How", "Which", "Did", "Does", "Is", "Are", "And"}
_TITLE_WORDS = {
    "President",
    "Secretary",
    "Premier",
    "Representative",
    "Treasury",
    "Vice",
    "Trade",
    "Chinese",
    "U.S.",
}


def _people(text: str) -> list[str]:
    """Person-like names in order of appearance ("Li Chenggang", "Scott Bessent")."""
    people = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group(1).split() if w not in _TITLE_WORDS and w not in _QUESTION_WORDS]
        if len(words) >= 2 and not any(w in _NOT_PERSON_WORDS for w in words):
            people.append(" ".join(words))
    return people


def condense(question: str, history: list[dict] | None) -> str:
    """A standalone version of ``question`` given chat ``history`` ([{"role", "content"}, ...])."""
    question = " ".join(question.split())
    turns = [t for t in (history or []) if t.get("content")]
    if not turns:
        return question
    users = [t["content"].strip() for t in turns if t.get("role") == "user"]
    answers = [t["content"] for t in turns if t.get("role") == "assistant"]
    last_user = users[-1] if users else ""
    rewritten = _LEADING.sub("", question)
    rewritten = rewritten[:1].upper() + rewritten[1:]
    ellipsis = _ELLIPSIS.match(rewritten if rewritten != question else question)
    if ellipsis and last_user:
        subject = ellipsis.group(1).strip().rstrip("?")
        about = re.search(r"^(.*\babout\s+).+?\??$", last_user, flags=re.IGNORECASE)
        if about:
            return f"{about.group(1)}{subject}?"
        return f"{subject[:1].upper() + subject[1:]}? (context: {last_user})"
    people = _people(last_user) or _people(answers[-1] if answers else "") or _people(" ".join(users))
    changed = rewritten != question
    if people and _PERSON_PRONOUNS.search(rewritten):
        name = people[-1] if _people(last_user) else people[0]

        def person(match: re.Match) -> str:
            return f"{name}'s" if match.group(1).lower() in ("his", "hers") else name

        rewritten = _PERSON_PRONOUNS.sub(person, rewritten)
        changed = True
    needs_context = (
        _THING_PRONOUNS.search(rewritten)
        or _PERSON_PRONOUNS.search(rewritten)
        or (not changed and len(rewritten.split()) <= 4)
    )
    if needs_context and last_user:
        rewritten = f"{rewritten} (context: {last_user})"
    return rewritten


def focus(standalone: str) -> str:
    """The question itself, without the "(context: ...)" borrowed for retrieval: what sentences must answer."""
    return re.sub(r"\s*\(context: .*\)\s*$", "", standalone)
