"""The answers: a question from the chat (streamed, with Stop) or from the ``/ask`` API endpoint, checked, handed to
the answer engine with the conversation so far as history, and shown as chat messages and sources.

The lines that name the generators (``GENERATOR_LABELS``, ``generator_choices``) and reach the engine
(``Answers.engine``, its ``stream`` in ``chat``, its ``answer`` in ``api_ask``, ``warm_up``) are all here.
"""

from __future__ import annotations

import logging
import threading
import time

import gradio as gr

from qa.generators.registry import GENERATORS, offered
from qa.limits import LIMITS, HistoryError, parse_history_json
from qa.settings import Settings
from qa.types import Answer, Progress
from ui.errors import friendly_error
from ui.messages import turn_messages
from ui.sources_panel import ArticleLookup, sources_panel

log = logging.getLogger(__name__)

GENERATOR_LABELS = {spec.name: spec.label for spec in GENERATORS}
# The question box while an answer is pending (Stop instead of Ask; what is typed meanwhile is kept and asked next)
# and after it.
ASK_PLACEHOLDER = "Ask a question about the articles…"


def busy_box() -> dict:
    return gr.update(value="", submit_btn=False, stop_btn="Stop", placeholder="Answering… a question sent now waits")


def idle_box(**value) -> dict:
    return gr.update(submit_btn="Ask", stop_btn=False, placeholder=ASK_PLACEHOLDER, **value)


MAX_STOPS_KEPT = 1000  # sessions whose last Stop is remembered (a bounded map)
MAX_SESSION_TURNS = 30  # turns a browser session keeps (older ones leave the chat); each holds its sources


def generator_choices(settings: Settings) -> list[str]:
    """Generators offered in the app: the hosted one only when an endpoint is configured."""
    return [spec.name for spec in offered(settings.openai_base_url)]


def history_from_turns(turns: list[dict]) -> list[dict]:
    """Earlier answered turns as the engine's history: [{role, content}, ...], the most recent ones that fit
    the history limits (qa/limits.py)."""
    history = []
    for turn in turns:
        if turn.get("answer"):
            history.append({"role": "user", "content": turn["question"][: LIMITS.user_chars]})
            history.append({"role": "assistant", "content": turn["answer"]["text"][: LIMITS.assistant_chars]})
    history = history[-(LIMITS.turns - LIMITS.turns % 2) :]
    while sum(len(t["content"]) for t in history) > LIMITS.total_chars:
        history = history[2:]
    return history


def parse_history(history_json: str) -> list[dict]:
    """The API's ``history_json``: a JSON list of {"role": "user"|"assistant", "content": str}, bounded
    (qa/limits.py)."""
    if history_json is not None and not isinstance(history_json, str):
        raise gr.Error("history_json must be a JSON string")
    try:
        return parse_history_json(history_json or "")
    except HistoryError as exc:
        raise gr.Error(f"history_json: {exc}") from None


class Answers:
    """The chat's and the API's answer handlers, bound to one Settings; ``lookup`` finds the articles the sources
    panel shows."""

    def __init__(self, settings: Settings, lookup: ArticleLookup, engine=None):
        self.settings = settings
        self.lookup = lookup
        self._engine = engine  # built on first use when not given (qa.pipeline.Engine)
        self._engine_lock = threading.Lock()
        self._stops: dict[str, float] = {}  # session -> when Stop was last pressed there
        self._stops_lock = threading.Lock()

    @property
    def engine(self):
        with self._engine_lock:
            if self._engine is None:
                from qa.pipeline import Engine

                self._engine = Engine(self.settings)
            return self._engine

    def options(
        self, generator: str | None, top_k, since: str | None = None, until: str | None = None, articles=None
    ) -> dict:
        from qa.question import QuestionError, article_ids, date_range

        options = {}
        try:
            dates = date_range(since, until)
        except QuestionError as exc:
            raise gr.Error(f"Date filter: {exc}") from None
        if dates.bounded:
            options["since"], options["until"] = dates.since, dates.until
        if not isinstance(articles, (str, list, tuple, type(None))):
            raise gr.Error("articles must be article ids separated by commas")
        if ids := article_ids(articles):  # the engine names an unknown one
            options["articles"] = sorted(ids)
        if generator:
            if generator not in generator_choices(self.settings):
                raise gr.Error(
                    f"unknown generator {generator!r}; use one of {', '.join(generator_choices(self.settings))}"
                )
            options["generator"] = generator
        if top_k:
            k = int(top_k)
            if not 1 <= k <= min(50, self.settings.candidates):
                raise gr.Error(f"top_k must be between 1 and {min(50, self.settings.candidates)}")
            options["top_k"] = k
        return options

    def chat(
        self,
        question: str,
        turns: list[dict] | None,
        generator: str,
        top_k: float,
        show_scores: bool,
        since: str = "",
        until: str = "",
        articles: list[str] | None = None,
        request: gr.Request = None,
    ):
        """Stream one answer into the chat: (messages, turns, sources panel, question box, the question being
        answered: what Stop puts back in the box); ``since``/``until`` (YYYY-MM-DD or empty) limit it to articles
        published in that range, ``articles`` (ids; empty: all) to those articles. Stop (``stopped``) marks this session; at its next step the answer ends with the
        chat as it was and the question back in the box, and closing the engine's stream stops its work. (gradio's
        own cancel closes a generator only after the step it is running, whose output could then bring the stopped
        answer back after the stopped chat.)"""
        asked_at = time.monotonic()
        turns = list(turns or [])[1 - MAX_SESSION_TURNS :]  # the session keeps MAX_SESSION_TURNS, this one too
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        pending = {"question": question, "text": ""}
        yield turn_messages(turns, pending), gr.skip(), gr.skip(), busy_box(), question
        try:
            options = self.options(generator, top_k, since, until, articles)
            final: Answer | None = None
            stream = self.engine.stream(question, history_from_turns(turns), progress=True, **options)
            try:  # Stop closes this generator: closing the engine's stops its work (a model's generation too)
                for item in stream:
                    if isinstance(item, Answer):
                        final = item
                        continue
                    if isinstance(item, Progress):
                        pending["stage"], pending["draft"] = item.stage, item.draft
                    else:
                        pending["text"] += item
                    if self._stopped_since(request, asked_at):  # the last word is the stopped chat
                        yield turn_messages(turns), gr.skip(), gr.skip(), idle_box(value=question), ""
                        return
                    yield turn_messages(turns, pending), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            finally:
                stream.close()
            if final is None:
                raise RuntimeError("the engine finished without an answer")
            turn = {"question": question, "answer": final.to_dict(), "error": ""}
        except Exception as exc:  # every failure becomes a message in the chat
            message = exc.message if isinstance(exc, gr.Error) else friendly_error(exc)
            turn = {"question": question, "answer": None, "error": message}
        turns.append(turn)
        panel = sources_panel(turns, bool(show_scores), self.lookup, active=len(turns) - 1)
        yield turn_messages(turns), turns, (panel if turn["answer"] else gr.skip()), idle_box(), ""

    def stopped(self, turns: list[dict] | None, asked: str, request: gr.Request = None):
        """Stop pressed: the chat as it was before the question, which goes back into the box."""
        if request is not None and request.session_hash:
            with self._stops_lock:
                self._stops[request.session_hash] = time.monotonic()
                while len(self._stops) > MAX_STOPS_KEPT:  # the oldest first (dicts keep insertion order)
                    self._stops.pop(next(iter(self._stops)))
        return turn_messages(list(turns or [])), idle_box(value=asked or ""), ""

    def _stopped_since(self, request: gr.Request | None, moment: float) -> bool:
        if request is None or not request.session_hash:
            return False
        with self._stops_lock:
            return self._stops.get(request.session_hash, float("-inf")) >= moment

    def api_ask(
        self,
        question: str,
        history_json: str = "[]",
        generator: str = "",
        top_k: int = 0,
        since: str = "",
        until: str = "",
        articles: str = "",
    ) -> dict:
        """Answer a question from the articles. history_json: JSON list of earlier turns
        [{"role": "user"|"assistant", "content": "..."}]; generator: "" (default), extractive, local or
        openai; top_k: passages handed to the generator (0 = default); since, until: "" or YYYY-MM-DD, only
        articles published in that range (both days included); articles: "" (all) or article ids separated by
        commas, only those articles. Returns Answer.to_dict()."""
        history = parse_history(history_json)
        options = self.options(generator, top_k, since, until, articles)
        try:
            return self.engine.answer(question, history, **options).to_dict()
        except Exception as exc:
            raise gr.Error(friendly_error(exc)) from None


def warm_up(engine) -> None:
    """Load the models and the keyword index before the first question (errors wait for that question)."""
    try:
        started = time.perf_counter()
        engine.retriever.retrieve("warm up", engine.settings.candidates)
        log.info("models loaded in %.1f s", time.perf_counter() - started)
    except Exception as exc:  # reported again when a question is asked
        log.warning("warm-up failed: %s", exc)
