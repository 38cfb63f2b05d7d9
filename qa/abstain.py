"""When the articles don't say: the evidence is too weak, or it lacks the kind of answer asked for.

The cross-encoder scores how well the best sentence answers the question; a threshold calibrated on the
evaluation set (answerable and unanswerable items) decides. On top, a question that asks for a kind of
answer (an age, a duration, an amount of money, a quantity, a date) is refused when no evidence sentence
holds that kind of thing, and "Who is the <role> ..." (or "<someone>'s <role>") is refused when no evidence sentence
names the role.
"""

from __future__ import annotations

import re

from index.keyword import tokenize
from index.patterns import MONTH_NAMES

_NUMBER = r"\d[\d,.]*"
_NUMBER_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
_MONTHS = MONTH_NAMES
ANSWER_TYPES: list[tuple[re.Pattern, re.Pattern, str]] = [
    (
        re.compile(r"\bhow old\b|\bwhat age\b|\bage of\b", re.I),
        re.compile(
            rf"\b(?:{_NUMBER}|{_NUMBER_WORDS})[- ]years?[- ]old\b|\b(?:aged?|ages) (?:of )?(?:{_NUMBER}|{_NUMBER_WORDS})\b"
            rf"|\({_NUMBER}\)|, \d{{2,3}},",
            re.I,
        ),
        "an age",
    ),
    (
        re.compile(r"\bhow long\b(?! (?:is|was) the)|\bduration\b", re.I),
        re.compile(
            rf"\b(?:{_NUMBER}|one|two|three|four|five|six|several|few)[- ](?:second|minute|hour|day|week|month|year)s?\b"
            r"|\b(?:seconds|minutes|hours|days|weeks|months|years|decades)\b",  # "within seconds", "for years"
            re.I,
        ),
        "a duration",
    ),
    (
        re.compile(r"\bdollar value\b|\bhow much money\b|\bworth\b|\bcost\b|\bprice\b", re.I),
        re.compile(rf"[$€£¥]\s?{_NUMBER}|\b{_NUMBER} ?(?:dollars|euros|yuan|billion|million|trillion)\b", re.I),
        "an amount of money",
    ),
    (
        re.compile(r"\b(?:rate|percentage|per ?cent)\b", re.I),
        re.compile(r"%|\bper ?cent\b", re.I),
        "a rate or percentage",
    ),
    (
        re.compile(r"\bhow many\b|\bhow much\b|\bwhat (?:share|number)\b", re.I),
        re.compile(
            rf"\b{_NUMBER}\b|%|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?)\b", re.I
        ),
        "a number",
    ),
    (
        # "When" must be followed by its verb ("When using X, how ..." is not a when-question), and not by
        # "does/do": "When does immunodeficiency occur?" asks for a condition, left to the evidence threshold.
        re.compile(
            r"^\s*when (?:is|was|are|were|will|would|did|could|can|has|have|had|should|might)\b"
            r"|\bwhat (?:date|day|year|month|time)\b",
            re.I,
        ),
        re.compile(
            rf"\b(?:{_MONTHS}|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|"
            r"yesterday|tomorrow|week|month|year|decade|century|ago|since|after|before|later|earlier|soon)\b"
            r"|\b1\d{3}s?\b|\b20\d\ds?\b",  # any year from 1000 to 2099, and decades ("the 1830s", "mid-2000s")
            re.I,
        ),
        "a date or time",
    ),
]
# "Who is the <role> ..." or "Who is <someone>'s <role>": a named role. Not "Who was appointed ...", "Who is a
# bill referred to ...", "Who were two of the founders ...", which name no role.
_ROLE = re.compile(
    r"^\s*who (?:is|was|are|were) (?:the |(?:[A-Z][\w.-]*\s){0,3}[A-Z][\w.-]*['’]s )(?:current |new |former )?([^?]+)",
    re.I,
)
_ROLE_STOP = {"of", "in", "at", "for", "to", "on", "that", "who", "behind", "leading", "running", "responsible", "with"}


def missing_answer_type(question: str, evidence: list[str]) -> str:
    """Why the evidence cannot answer ``question`` ("" when it may)."""
    text = " ".join(evidence)
    focus = set(tokenize(question))
    for asks, holds, kind in ANSWER_TYPES:
        if asks.search(question):
            # The thing asked for must stand in a sentence that is about the question, not just anywhere.
            if not any(holds.search(sentence) and focus & set(tokenize(sentence)) for sentence in evidence):
                return f"the question asks for {kind} and the closest passages give none"
            break
    role = _ROLE.match(question)
    if role:
        words = []
        for word in role.group(1).split()[:4]:
            if word.lower() in _ROLE_STOP:
                break
            words.append(word)
        wanted = {t for t in tokenize(" ".join(words)) if not t.isdigit()}  # "Super Bowl 50 MVP": "Super Bowl MVP"
        if wanted and not wanted <= set(tokenize(text)):
            return f"no passage names the {' '.join(words)}"
    return ""
