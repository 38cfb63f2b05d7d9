"""Follow-up questions rewritten into standalone ones, without a language model.

"And what did he say about sanctions?" after a turn about Li Chenggang becomes
"What did Li Chenggang say about sanctions?". Pronouns take the most recent name from the
conversation (the answer to a "Who ...?" turn, or a name a question asked about, walking back past turns that name no one); an elliptical question ("What about soybeans?") borrows the previous question.
What could not be resolved travels beside the question (``Condensed.context``): retrieval searches with both,
the reader reads the question with the borrowed one as its previous turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.keyword import tokenize

_PERSON_PRONOUNS = re.compile(r"\b(he|she|him|her|his|hers)\b", re.IGNORECASE)
_THING_PRONOUNS = re.compile(r"\b(it|its|they|them|their|that|this|these|those|there)\b", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(and|so|also|but|ok(?:ay)?|then|well)\b[\s,]*", re.IGNORECASE)
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\??\s*$", re.IGNORECASE)
_NAME = re.compile(r"\b([A-Z][a-z]+(?:\s+(?:[A-Z]\.\s*)?[A-Z][a-z]+)+)\b")
# Words that make a capitalised run an institution, a place or a title rather than a person's name.
_NOT_PERSON_WORDS = {
    "United", "States", "China", "American", "Chinese", "Treasury", "Secretary", "President", "White", "House",
    "Supreme", "Court", "Association", "Center", "Administration", "Congress", "Ministry", "Department",
    "Embassy", "Council", "Union", "Republic", "Party", "Company", "Corporation", "University", "Bank", "Agency",
}  # fmt: skip
_QUESTION_WORDS = {"What", "Who", "When", "Where", "Why", "How", "Which", "Did", "Does", "Is", "Are", "And"}
_TITLE_WORDS = {"President", "Secretary", "Premier", "Representative", "Treasury", "Vice", "Trade", "Chinese", "U.S."}
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_WHO = re.compile(r"^\s*(?:and\s+)?(?:who|whom|whose|which)\b", re.IGNORECASE)


def _people(text: str) -> list[str]:
    """Person-like names in order of appearance ("Li Chenggang", "Scott Bessent")."""
    people = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group(1).split() if w not in _TITLE_WORDS and w not in _QUESTION_WORDS]
        if len(words) >= 2 and not any(w in _NOT_PERSON_WORDS for w in words):
            people.append(" ".join(words))
    return people


def _pairs(turns: list[dict]) -> list[tuple[str, str]]:
    """(question, answer) pairs, most recent first."""
    pairs: list[tuple[str, str]] = []
    for turn in turns:
        if turn.get("role") == "user":
            pairs.append((turn["content"].strip(), ""))
        elif turn.get("role") == "assistant" and pairs:
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + turn["content"])
    return pairs[::-1]


def _referent(pairs: list[tuple[str, str]]) -> str:
    """The person a "he"/"she" most likely points to, walking back through the conversation: the answer to a
    "Who/Which ...?" question (its bold short answer when it names a person, else the first name in the answer),
    or a name a question itself asked about. A turn that names no one ("Where were the talks held?", "Which summit
    ...?" answered "**The ASEAN summit**") is passed over, so a pronoun can point two or more turns back."""
    for question, answer in pairs:
        if _WHO.match(question):
            bold = _BOLD.findall(answer)
            found = [p for b in bold for p in _people(b)] if bold else _people(answer)
            if found:
                return found[0]
        elif found := _people(question):
            return found[-1]
    return next((p[0] for _, answer in pairs if (p := _people(answer))), "")


@dataclass(frozen=True)
class Condensed:
    """A follow-up made standalone: ``question`` as rewritten, and ``context``, the previous question it borrows
    when a pronoun or an ellipsis could not be resolved ("" when it stands alone)."""

    question: str
    context: str = ""

    @property
    def text(self) -> str:
        """What retrieval searches with, and the standalone question shown to the user."""
        return f"{self.question} (context: {self.context})" if self.context else self.question


def condense(question: str, history: list[dict] | None) -> Condensed:
    """A standalone version of ``question`` given chat ``history`` ([{"role", "content"}, ...]), with the previous
    question as its context where it could not resolve something. A question without a pronoun or an ellipsis is
    left as it is."""
    question = " ".join(question.split())
    turns = [t for t in (history or []) if t.get("content")]
    if not turns:
        return Condensed(question)
    pairs = _pairs(turns)
    last_user = pairs[0][0] if pairs else ""
    rewritten = _LEADING.sub("", question)
    rewritten = rewritten[:1].upper() + rewritten[1:]
    ellipsis = _ELLIPSIS.match(rewritten if rewritten != question else question)
    if ellipsis and last_user:
        subject = ellipsis.group(1).strip().rstrip("?")
        about = re.search(r"^(.*\babout\s+).+?\??$", last_user, flags=re.IGNORECASE)
        if about:
            return Condensed(f"{about.group(1)}{subject}?")
        return Condensed(f"{subject[:1].upper() + subject[1:]}?", last_user)
    if _PERSON_PRONOUNS.search(rewritten):
        name = _referent(pairs)
        if name:

            def person(match: re.Match) -> str:
                return f"{name}'s" if match.group(1).lower() in ("his", "hers") else name

            rewritten = _PERSON_PRONOUNS.sub(person, rewritten)
    # A pronoun left unresolved, or a question with no word of its own ("Why?", "How so?"), borrows the previous
    # question for retrieval; a question that names its subject ("Who is Scott Bessent?") stands alone.
    unresolved = _THING_PRONOUNS.search(rewritten) or _PERSON_PRONOUNS.search(rewritten) or not tokenize(rewritten)
    return Condensed(rewritten, last_user if unresolved else "")
