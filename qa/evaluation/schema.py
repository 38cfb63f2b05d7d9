"""The evaluation set behind ``qa eval``: one JSONL file of questions with their gold answers and articles, read and
checked line by line so that a typo fails loudly instead of silently dropping the gold.

Eval set format: one JSON object per line (blank lines are skipped)::

    {"id": "q001", "question": "How many American users does TikTok have?",
     "answers": ["170 million"], "article_ids": ["000_2586af1d1969f1c3"],
     "quote": "TikTok, with more than 170 million American users, ...", "category": "factoid", "history": []}

=============  ========  ===============================================================================
key            required  meaning
=============  ========  ===============================================================================
id             yes       text, unique within the file
question       yes       non-empty text
answers        yes       list of acceptable aliases; one matching alias makes the answer correct
all_of         no        list of alias groups (list answers): one alias of *every* group must match
article_ids    yes       gold article ids (corpus-relative path without extension)
quote          no        a span of a gold article that answers the question ("" = none)
category       yes       factoid | list | paraphrase | multi-article | follow-up | unanswerable | describe |
                         why | summary | comparison | false-premise (see below)
history        no        earlier turns [{"role": "user"|"assistant", "content": text}]; non-empty for
                         follow-up items
=============  ========  ===============================================================================

Categories: ``factoid`` (a short fact), ``list`` (several elements, ``all_of``; possibly from several
articles), ``paraphrase`` (the question avoids the article's words), ``multi-article`` (the fact is in more
than one article), ``follow-up`` (needs ``history`` to resolve a pronoun, possibly two turns back),
``describe`` (how did/does ..., what happened: a description in the text), ``why`` (a reason the articles
state), ``summary`` (summarize / what is the article about), ``comparison`` (two things, figures or
positions set side by side, possibly across articles), ``unanswerable`` (the articles do not give the fact),
``false-premise`` (the question assumes something the articles do not say) and ``cross-lingual`` (question
and answer in different languages: Spanish questions over English passages, English questions that only the
Spanish paragraph answers; an item without aliases is one that neither language answers, where abstaining
is right). For describe, why and
summary items the aliases are distinctive phrases of the sentences that answer.

Unanswerable and false-premise items (``ABSTAIN_CATEGORIES``: the right behaviour is to abstain) have empty
``answers``, ``all_of``, ``article_ids`` and ``quote``; answerable ones need
at least one alias (in ``answers`` or ``all_of``) and one gold article. Unknown keys are an error (a typo
such as ``"answer"`` would otherwise silently drop the gold). A bad line raises ``EvalSetError`` naming the
file, the line and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index.errors import UserError

CATEGORIES = (
    "factoid",
    "list",
    "paraphrase",
    "multi-article",
    "follow-up",
    "unanswerable",
    "describe",
    "why",
    "summary",
    "comparison",
    "false-premise",
    "cross-lingual",
)
ABSTAIN_CATEGORIES = ("unanswerable", "false-premise")  # the right answer is an abstention
MIXED_CATEGORIES = ("cross-lingual",)  # answerable when the item gives aliases, else an abstention is right
DEFAULT_SET = Path(__file__).resolve().parent.parent.parent / "eval" / "seed.jsonl"


class EvalSetError(UserError):
    """A malformed eval set line; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    answers: tuple[str, ...]
    article_ids: tuple[str, ...]
    category: str
    all_of: tuple[tuple[str, ...], ...] = ()
    quote: str = ""
    history: tuple[dict, ...] = ()
    line: int = 0

    @property
    def answerable(self) -> bool:
        if self.category in MIXED_CATEGORIES:
            return bool(self.answers or self.all_of)
        return self.category not in ABSTAIN_CATEGORIES

    def gold(self) -> dict:
        return {
            "answers": list(self.answers),
            "all_of": [list(g) for g in self.all_of],
            "article_ids": list(self.article_ids),
            "quote": self.quote,
        }


_REQUIRED = ("id", "question", "answers", "article_ids", "category")
_KNOWN = (*_REQUIRED, "all_of", "quote", "history")


def _string_list(value, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings, not {_describe(value)}")
    if any(not v.strip() for v in value):
        raise ValueError(f"'{key}' holds an empty string")
    return tuple(value)


def a_or_an(word: str) -> str:
    """The indefinite article for ``word`` ("an unanswerable", "a false-premise")."""
    return "an" if word[:1] in "aeiou" else "a"


def _describe(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def parse_item(data, line: int = 0) -> EvalItem:
    """One eval item from a decoded JSON value; raises ``ValueError`` saying what is wrong."""
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {_describe(data)}")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise ValueError(f"missing key {', '.join(repr(k) for k in missing)}")
    unknown = sorted(set(data) - set(_KNOWN))
    if unknown:
        raise ValueError(f"unknown key {', '.join(repr(k) for k in unknown)} (known: {', '.join(_KNOWN)})")
    for key in ("id", "question", "category"):
        if not isinstance(data[key], str):
            raise ValueError(f"'{key}' must be a string, not {_describe(data[key])}")
    if not data["id"].strip():
        raise ValueError("'id' is empty")
    if not data["question"].strip():
        raise ValueError("'question' is empty")
    category = data["category"]
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r} (one of: {', '.join(CATEGORIES)})")
    answers = _string_list(data["answers"], "answers")
    article_ids = _string_list(data["article_ids"], "article_ids")
    raw_groups = data.get("all_of", [])
    if not isinstance(raw_groups, list):
        raise ValueError(f"'all_of' must be a list of lists of strings, not {_describe(raw_groups)}")
    all_of = tuple(_string_list(g, "all_of") for g in raw_groups)
    if any(not g for g in all_of):
        raise ValueError("'all_of' holds an empty group")
    quote = data.get("quote", "")
    if not isinstance(quote, str):
        raise ValueError(f"'quote' must be a string, not {_describe(quote)}")
    history = data.get("history", [])
    if not isinstance(history, list):
        raise ValueError(f"'history' must be a list of turns, not {_describe(history)}")
    for n, turn in enumerate(history, start=1):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise ValueError(f'\'history\' turn {n} must be {{"role": "user"|"assistant", "content": text}}')
    abstain = category in ABSTAIN_CATEGORIES or (category in MIXED_CATEGORIES and not answers and not all_of)
    if abstain:
        given = [k for k in ("answers", "all_of", "article_ids", "quote") if data.get(k)]
        if given:
            raise ValueError(f"{a_or_an(category)} {category} item must not have {', '.join(repr(k) for k in given)}")
    else:
        if not answers and not all_of:
            raise ValueError(f"a {category} item needs at least one alias in 'answers' or 'all_of'")
        if not article_ids:
            raise ValueError(f"a {category} item needs at least one gold article id in 'article_ids'")
    if category == "follow-up" and not history:
        raise ValueError("a follow-up item needs a non-empty 'history'")
    return EvalItem(
        id=data["id"],
        question=data["question"],
        answers=answers,
        article_ids=article_ids,
        category=category,
        all_of=all_of,
        quote=quote,
        history=tuple(history),
        line=line,
    )


def load_eval_set(path: Path | str) -> list[EvalItem]:
    """Every item of a JSONL eval set, validated; the first bad line raises ``EvalSetError``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalSetError(f"{path}: no such eval set file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalSetError(f"{path}: cannot read the eval set ({exc})") from None
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}, line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        try:
            item = parse_item(data, number)
        except ValueError as exc:
            where = f" (item {data['id']!r})" if isinstance(data, dict) and isinstance(data.get("id"), str) else ""
            raise EvalSetError(f"{path}, line {number}{where}: {exc}") from None
        if item.id in seen:
            raise EvalSetError(f"{path}, line {number}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise EvalSetError(f"{path}: the eval set holds no items")
    return items
