"""The Gradio app: chat with a sources panel, answer settings, and a corpus tab. Thin: it calls ``qa``.

``build_app(settings)`` makes the Blocks; ``serve(settings)`` launches it with safe defaults (bound to
``settings.host``, an optional sign-in form from ``settings.auth``, no share link, no analytics, no CDN).
The chat is also an API endpoint, ``/ask``, for the official ``gradio_client``::

    from gradio_client import Client
    answer = Client("http://127.0.0.1:7860/").predict(
        "How many American users does TikTok have?", "[]", api_name="/ask"
    )  # -> Answer.to_dict(): text, citations [{n, article_id, title, quote, start, end, ...}], abstained, ...
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from concurrent.futures import wait
from datetime import UTC, datetime
from pathlib import Path

import gradio as gr  # noqa: E402

import qa  # noqa: F401  (importing qa sets the offline defaults, GRADIO_ANALYTICS_ENABLED=False among them)
from index.store import StoreError  # noqa: E402
from qa.generators.registry import GENERATORS, offered  # noqa: E402
from qa.limits import LIMITS, HistoryError, parse_history_json  # noqa: E402
from qa.settings import Settings, SettingsError  # noqa: E402
from qa.types import Answer, Progress  # noqa: E402
from ui import conversations, corpus, export, render  # noqa: E402
from ui.assets import CSS, JS  # noqa: E402
from ui.bodylimit import BodyLimit, BodyLimits  # noqa: E402
from ui.exposure import Exposure, Guard, check_exposure  # noqa: E402
from ui.ingest_queue import IngestQueue  # noqa: E402

log = logging.getLogger("ui.app")

EXAMPLES = [
    "How many American users does TikTok have?",
    "How much did U.S. farm exports to China fall?",
    "Who chairs the American Soybean Association?",
    "What did Li Chenggang call the expanded U.S. sanctions?",
    "What did Bessent say about TikTok?",
]
GENERATOR_LABELS = {spec.name: spec.label for spec in GENERATORS}
MAX_TOP_K = 12
FOLLOW_INTERVAL = 0.5  # seconds between status updates while a corpus change waits or runs
# The question box while an answer is pending (Stop instead of Ask; what is typed meanwhile is kept and asked next)
# and after it.
ASK_PLACEHOLDER = "Ask a question about the articles…"


def busy_box() -> dict:
    return gr.update(value="", submit_btn=False, stop_btn="Stop", placeholder="Answering… a question sent now waits")


def idle_box(**value) -> dict:
    return gr.update(submit_btn="Ask", stop_btn=False, placeholder=ASK_PLACEHOLDER, **value)


MAX_STOPS_KEPT = 1000  # sessions whose last Stop is remembered (a bounded map)
MAX_SESSION_TURNS = 30  # turns a browser session keeps (older ones leave the chat); each holds its sources
ARTICLE_HEADERS = ["Title", "Published", "Byline", "Dateline", "Passages", "Indexed", "File"]


def generator_choices(settings: Settings) -> list[str]:
    """Generators offered in the app: the hosted one only when an endpoint is configured."""
    return [spec.name for spec in offered(settings.openai_base_url)]


def parse_auth(auth: str) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise SettingsError("QA_AUTH must look like user:password")
    return user, password


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


def friendly_error(exc: BaseException) -> str:
    """One clear sentence for the chat; never a traceback."""
    from index.load import ArticleError
    from index.store import StoreError
    from qa.generators import GeneratorError
    from qa.models import ModelMissingError
    from qa.pipeline import QuestionError
    from qa.redact import redact

    if isinstance(exc, (QuestionError, HistoryError)):
        return f"That question can't be answered as asked: {exc}."
    if isinstance(exc, StoreError):
        log.warning("article index unavailable: %s", exc)  # the operator's version: folders, library errors
        return f"The article index isn't available: {exc.public}."
    if isinstance(exc, (GeneratorError, ModelMissingError, ArticleError, SettingsError)):
        log.warning("%s: %s", type(exc).__name__, exc)  # the full text; the user's is redacted
    if isinstance(exc, GeneratorError):
        return f"The answer generator failed: {redact(str(exc))}. Try the extractive generator in the settings."
    if isinstance(exc, ModelMissingError):
        return f"A model file is missing: {redact(str(exc))}."
    if isinstance(exc, (ArticleError, SettingsError)):
        return redact(str(exc))
    log.exception("unexpected error while answering")
    return f"Something went wrong while answering ({type(exc).__name__}). The details are in the server log."


def delete_phrase(ids: list[str]) -> str:
    """What a delete must be confirmed with: the ids themselves, so a confirmation is for these articles."""
    return "delete " + ", ".join(ids)


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


class App:
    """The handlers behind the Blocks, bound to one Settings (the same object the CLI builds)."""

    def __init__(self, settings: Settings, ingest: IngestQueue | None = None, engine=None):
        self.settings = settings
        self._engine = engine  # built on first use when not given (qa.pipeline.Engine)
        self._engine_lock = threading.Lock()
        self.ingest = ingest or IngestQueue()  # corpus changes, one at a time, behind the answers
        self._feedback_lock = threading.Lock()
        self._export_dir = tempfile.TemporaryDirectory(prefix="nq-export-")  # removed with the App
        self._stops: dict[str, float] = {}  # session -> when Stop was last pressed there
        self._stops_lock = threading.Lock()

    @property
    def engine(self):
        with self._engine_lock:
            if self._engine is None:
                from qa.pipeline import Engine

                self._engine = Engine(self.settings)
            return self._engine

    def lookup(self, article_id: str):
        return corpus.find_article(self.settings, article_id)

    def _options(self, generator: str | None, top_k, since: str | None = None, until: str | None = None) -> dict:
        from qa.pipeline import QuestionError, date_range

        options = {}
        try:
            dates = date_range(since, until)
        except QuestionError as exc:
            raise gr.Error(f"Date filter: {exc}") from None
        if dates.bounded:
            options["since"], options["until"] = dates.since, dates.until
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

    # --- chat --------------------------------------------------------------------------------------
    def chat(
        self,
        question: str,
        turns: list[dict] | None,
        generator: str,
        top_k: float,
        show_scores: bool,
        since: str = "",
        until: str = "",
        request: gr.Request = None,
    ):
        """Stream one answer into the chat: (messages, turns, sources panel, question box, the question being
        answered: what Stop puts back in the box); ``since``/``until`` (YYYY-MM-DD or empty) limit it to articles
        published in that range. Stop (``stopped``) marks this session; at its next step the answer ends with the
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
        yield render.turn_messages(turns, pending), gr.skip(), gr.skip(), busy_box(), question
        try:
            options = self._options(generator, top_k, since, until)
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
                        yield render.turn_messages(turns), gr.skip(), gr.skip(), idle_box(value=question), ""
                        return
                    yield render.turn_messages(turns, pending), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            finally:
                stream.close()
            if final is None:
                raise RuntimeError("the engine finished without an answer")
            turn = {"question": question, "answer": final.to_dict(), "error": ""}
        except Exception as exc:  # every failure becomes a message in the chat
            message = exc.message if isinstance(exc, gr.Error) else friendly_error(exc)
            turn = {"question": question, "answer": None, "error": message}
        turns.append(turn)
        panel = render.sources_panel(turns, bool(show_scores), self.lookup, active=len(turns) - 1)
        yield render.turn_messages(turns), turns, (panel if turn["answer"] else gr.skip()), idle_box(), ""

    def stopped(self, turns: list[dict] | None, asked: str, request: gr.Request = None):
        """Stop pressed: the chat as it was before the question, which goes back into the box."""
        if request is not None and request.session_hash:
            with self._stops_lock:
                self._stops[request.session_hash] = time.monotonic()
                while len(self._stops) > MAX_STOPS_KEPT:  # the oldest first (dicts keep insertion order)
                    self._stops.pop(next(iter(self._stops)))
        return render.turn_messages(list(turns or [])), idle_box(value=asked or ""), ""

    # --- conversations kept by the browser (ui/conversations.py) ---------------------------------
    def _stopped_since(self, request: gr.Request | None, moment: float) -> bool:
        if request is None or not request.session_hash:
            return False
        with self._stops_lock:
            return self._stops.get(request.session_hash, float("-inf")) >= moment

    def remember(self, conversation_id: str, turns: list[dict] | None, store: list | None):
        """After an answer: the conversation saved at the top of the browser's list."""
        conversation_id = conversation_id or conversations.new_id()
        store = conversations.saved(store, conversation_id, list(turns or []))
        return conversation_id, store, gr.update(choices=conversations.choices(store), value=conversation_id)

    def _shown(self, found: dict | None, show_scores: bool):
        turns = found["turns"] if found else []
        panel = render.sources_panel(turns, bool(show_scores), self.lookup) if turns else render.EMPTY_PANEL
        return render.turn_messages(turns), turns, panel, (found["id"] if found else "")

    def restore(self, store: list | None, show_scores: bool):
        """On page load: the browser's most recent conversation, and the list of all of them."""
        store = conversations.cleaned(store)
        found = store[0] if store else None
        listed = gr.update(choices=conversations.choices(store), value=found["id"] if found else None)
        return (*self._shown(found, show_scores), listed)

    def reopen(self, conversation_id: str, store: list | None, show_scores: bool):
        found = conversations.find(store, conversation_id or "")
        if found is None:
            raise gr.Error("That conversation is no longer saved in this browser.")
        return self._shown(found, show_scores)

    def forget(self, conversation_id: str, store: list | None):
        """Delete the open conversation from the browser's list and start a new one."""
        store = conversations.removed(store, conversation_id or "")
        listed = gr.update(choices=conversations.choices(store), value=None)
        return (store, listed, *self._shown(None, False))

    def exports(self, conversation_id: str, turns: list[dict] | None):
        """The open conversation as Markdown and JSON files for the two download buttons."""
        turns = list(turns or [])
        if not turns:
            return gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
        name = "".join(ch for ch in (conversation_id or "conversation") if ch.isalnum())[:40] or "conversation"
        title = conversations.title_of(turns)
        folder = Path(self._export_dir.name)
        markdown, body = folder / f"newsdesk-{name}.md", folder / f"newsdesk-{name}.json"
        markdown.write_text(export.conversation_markdown(title, turns), encoding="utf-8")
        body.write_text(export.conversation_json(title, turns), encoding="utf-8")
        return gr.update(value=str(markdown), interactive=True), gr.update(value=str(body), interactive=True)

    def repanel(self, turns: list[dict] | None, show_scores: bool) -> str:
        return render.sources_panel(list(turns or []), bool(show_scores), self.lookup)

    def open_article(self, request: dict) -> dict:
        """Server function for the panel: the whole article with [start, end) highlighted."""
        try:
            article_id = str(request["article_id"])
            start, end = int(request["start"]), int(request["end"])
        except (KeyError, TypeError, ValueError):
            return {"error": "bad request: expected article_id, start and end"}
        article = self.lookup(article_id)
        if article is None:
            return {"error": f"the article {article_id} is no longer in the corpus"}
        return render.article_view(article, start, end)

    def feedback(self, turns: list[dict] | None, generator: str, top_k: float, data: gr.LikeData) -> None:
        """Append one thumbs up/down to data_dir/feedback.jsonl."""
        turns = list(turns or [])
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn_index = int(index) // 2
        if not 0 <= turn_index < len(turns):
            return
        turn = turns[turn_index]
        answer = turn.get("answer") or {}
        value = {True: "up", False: "down"}.get(data.liked, str(data.liked) or "cleared")
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "feedback": value,
            "question": turn["question"],
            "standalone_question": answer.get("standalone_question", ""),
            "answer": answer.get("text", ""),
            "error": turn.get("error", ""),
            "abstained": answer.get("abstained"),
            "citations": [
                {k: c[k] for k in ("n", "article_id", "start", "end", "quote")} for c in answer.get("citations", [])
            ],
            "generator": answer.get("generator", generator),
            "top_k": int(top_k or self.settings.top_k),
        }
        path = Path(self.settings.data_dir) / "feedback.jsonl"
        try:
            with self._feedback_lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:
            gr.Warning(f"Could not save the feedback: {exc.strerror}", duration=6)
            return
        gr.Info("Thanks, your feedback was saved.", duration=3)

    # --- API ---------------------------------------------------------------------------------------
    def api_ask(
        self,
        question: str,
        history_json: str = "[]",
        generator: str = "",
        top_k: int = 0,
        since: str = "",
        until: str = "",
    ) -> dict:
        """Answer a question from the articles. history_json: JSON list of earlier turns
        [{"role": "user"|"assistant", "content": "..."}]; generator: "" (default), extractive, local or
        openai; top_k: passages handed to the generator (0 = default); since, until: "" or YYYY-MM-DD, only
        articles published in that range (both days included). Returns Answer.to_dict()."""
        history = parse_history(history_json)
        options = self._options(generator, top_k, since, until)
        try:
            return self.engine.answer(question, history, **options).to_dict()
        except Exception as exc:
            raise gr.Error(friendly_error(exc)) from None

    # --- corpus ------------------------------------------------------------------------------------
    def corpus_view(self):
        """(table rows, delete choices, header status) from the index."""
        from index.store import StoreError

        try:
            rows = corpus.list_articles(self.settings)
        except StoreError as exc:
            log.warning("corpus list: %s", exc)
            return [], gr.update(choices=[], value=[]), f"No articles to show: {render.md(exc.public)}."
        table = [[r.title, r.date or "", r.byline, r.published, r.passages, r.indexed, r.file] for r in rows]
        choices = [(f"{r.title[:70]} ({r.file})", r.article_id) for r in rows]
        passages = sum(r.passages for r in rows)
        status = f"**{len(rows)}** article{'s' if len(rows) != 1 else ''} · **{passages}** passages indexed"
        return table, gr.update(choices=choices, value=[]), status

    def _after_change(self, lines: list[str]):
        table, choices, status = self.corpus_view()
        return "\n".join(lines), table, choices, status

    def _follow(self, label: str, work, report_lines, before: tuple[str, ...] = ()):
        """Queue ``work(progress)`` in the ingestion queue and follow it: yields the corpus outputs with a status
        line while it waits and runs, then with ``report_lines(result)`` (or the error, then ``before``: what was
        refused on the way in) when it is done."""
        job, future = self.ingest.submit(label, work)
        while not wait([future], timeout=FOLLOW_INTERVAL).done:
            yield f"⏳ {render.md(self.ingest.status(job))}", gr.skip(), gr.skip(), gr.skip()
        try:
            lines = report_lines(future.result())
        except StoreError as exc:  # e.g. a read-only index: checked before any file was changed
            log.warning("corpus change refused: %s", exc)
            lines = [f"⚠ Nothing was changed: {render.md(exc.public)}.", *before]
        except Exception as exc:
            lines = [f"⚠ {render.md(friendly_error(exc))}", *before]
        yield self._after_change(lines)

    def upload(self, files: list[str] | None, replace: bool = False):
        """Check the uploaded files, then store and ingest them in the ingestion queue, following it; yields
        (status, table, delete choices, header, file box). An article with the same name or text is replaced only
        when ``replace`` is set."""
        if not files:
            yield (*self._after_change(["Choose .txt, .md or .html files to add."]), None)
            return
        items, lines = [], []
        refusal = corpus.batch_error(len(files), sum(_size(path) for path in files))
        if refusal:
            for path in files:
                Path(path).unlink(missing_ok=True)  # gradio's temporary copies
            yield (*self._after_change([f"⚠ Nothing was added: {render.md(refusal)}."]), None)
            return
        for path in files:
            path = Path(path)
            name = path.name
            try:
                size = path.stat().st_size
                if size > corpus.MAX_UPLOAD_BYTES:
                    lines.append(f"- ✗ **{render.md(name)}**: {size:,} bytes is over the 2 MB limit")
                else:
                    items.append((name, path.read_bytes()))
            except OSError as exc:
                lines.append(f"- ✗ **{render.md(name)}**: cannot read the upload ({render.md(exc.strerror)})")
            finally:
                path.unlink(missing_ok=True)  # gradio's temporary copy; the corpus keeps its own

        def report_lines(report: corpus.ChangeReport) -> list[str]:
            shown = list(lines)
            for stored in report.stored:
                verb = "Replaced" if stored.replaced else "Added"
                renamed = (
                    f" (renamed: another file of this upload is {render.md(stored.renamed_from)})"
                    if stored.renamed
                    else ""
                )
                shown.append(
                    f"- ✓ {verb} **{render.md(stored.article_id)}** ({render.md(stored.name)}){renamed}: "
                    f"{render.md(stored.title)}"
                )
            for name, reason in report.refused:
                shown.append(f"- ✗ **{render.md(name)}** refused: {render.md(reason)}")
            if report.ingest_summary:
                shown.append(f"\nIndex updated: {render.md(report.ingest_summary)}")
            return shown

        label = f"upload of {len(files)} file{'s' if len(files) != 1 else ''}"
        work = lambda progress: corpus.upload(self.settings, items, progress, replace=bool(replace))  # noqa: E731
        for outputs in self._follow(label, work, report_lines, tuple(lines)):
            yield (*outputs, None)  # the file box empties at once

    def delete(self, ids: list[str] | None, confirmation: str = ""):
        """Delete the selected articles (in the ingestion queue, followed); ``confirmation`` must be
        ``delete_phrase(ids)`` (the browser sends it after asking; an API caller has to send it too)."""
        ids = [i for i in (ids or []) if isinstance(i, str)]
        if not ids:
            yield self._after_change(["Select the articles to delete first."])
            return
        if confirmation != delete_phrase(ids):
            yield self._after_change([f"Nothing deleted: the confirmation must be “{render.md(delete_phrase(ids))}”."])
            return

        def report_lines(report: corpus.ChangeReport) -> list[str]:
            lines = [f"- ✓ Deleted **{render.md(i)}**" for i in report.deleted]
            missing = sorted(set(ids) - set(report.deleted))
            lines += [f"- {render.md(i)}: no file in the corpus folder; its passages were removed" for i in missing]
            lines.append(f"\nIndex updated: {render.md(report.ingest_summary)}")
            return lines

        label = f"deletion of {len(ids)} article{'s' if len(ids) != 1 else ''}"
        yield from self._follow(label, lambda progress: corpus.delete(self.settings, ids, progress), report_lines)

    def rescan(self):
        work = lambda progress: corpus.rescan(self.settings, progress)  # noqa: E731
        report_lines = lambda report: [f"Index updated: {render.md(report.ingest_summary)}"]  # noqa: E731
        yield from self._follow("re-scan of the corpus folder", work, report_lines)

    def add_links(self, text: str):
        """Fetch the feeds and article links in ``text`` (one or more, separated by spaces or lines) into the
        corpus and re-index, in the ingestion queue; yields (status, table, delete choices, header, link box)."""
        sources = (text or "").split()
        if not sources:
            yield (*self._after_change(["Paste a feed or article link (http or https) first."]), gr.skip())
            return
        if len(sources) > corpus.MAX_LINKS:
            yield (*self._after_change([f"⚠ At most {corpus.MAX_LINKS} links at a time."]), gr.skip())
            return

        def report_lines(result) -> list[str]:
            report, summary = result
            lines = [
                f"- {'✓ Added' if s.written else '= Unchanged'} **{render.md(s.title or s.url)}** "
                f"({render.md(s.path.name)})"
                for s in report.saved
            ]
            lines += [f"- ✗ {render.md(reason)}" for _, reason in report.failed]
            lines.append(f"\nIndex updated: {render.md(summary)}" if summary else "\nNothing new to index.")
            return lines

        label = f"{len(sources)} feed{'s' if len(sources) != 1 else ''} or link{'s' if len(sources) != 1 else ''}"
        work = lambda progress: corpus.add_links(self.settings, sources, progress)  # noqa: E731
        outputs = list(self._follow(label, work, report_lines))
        for waiting in outputs[:-1]:
            yield (*waiting, gr.skip())
        yield (*outputs[-1], "")


def build_app(settings: Settings, engine=None) -> gr.Blocks:
    """The whole app for one Settings object; launch it with ``serve`` (or ``launch(**launch_options(s))``)."""
    app = App(settings, engine=engine)
    choices = generator_choices(settings)

    def open_article(request: dict) -> dict:  # a plain function: gradio marks server functions by attribute
        return app.open_article(request)

    with gr.Blocks(title="Newsdesk QA", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        turns = gr.State([])
        asked = gr.State("")  # the question being answered (Stop puts it back in the box)
        conversation_id = gr.State("")
        kept = gr.BrowserState(
            [], storage_key="nq-conversations", secret=conversations.browser_secret(settings.data_dir)
        )
        with gr.Sidebar(label="Conversations", open=False, elem_id="nq-sidebar"):
            gr.Markdown("### Conversations\nKept in this browser only.")
            past = gr.Radio(choices=[], value=None, label="Reopen", elem_id="nq-past", show_label=True)
            export_md = gr.DownloadButton(
                "Export as Markdown", value=None, interactive=False, size="sm", elem_id="nq-export-md"
            )
            export_json = gr.DownloadButton(
                "Export as JSON", value=None, interactive=False, size="sm", elem_id="nq-export-json"
            )
            forget_btn = gr.Button("Delete this conversation", variant="stop", size="sm", elem_id="nq-forget")
        with gr.Row(elem_id="nq-header"):
            gr.HTML(
                '<h1>Newsdesk QA</h1><span class="nq-tagline">Answers from the news articles, '
                "every sentence cited and checked against its source.</span>"
                '<button type="button" id="nq-theme" aria-pressed="false">Dark theme</button>',
                elem_id="nq-title",
            )
            header_status = gr.Markdown("", elem_id="nq-status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="nq-chat",
                            show_label=False,
                            height=560,
                            buttons=[],
                            latex_delimiters=[],
                            sanitize_html=True,
                            line_breaks=False,
                            feedback_options=("Like", "Dislike"),
                            placeholder="**Ask about the articles.** Answers quote the corpus; click a marker to "
                            "see the passage.",
                            examples=[{"text": q} for q in EXAMPLES],
                        )
                        with gr.Row(elem_id="nq-ask-row"):
                            question = gr.Textbox(
                                show_label=False,
                                placeholder=ASK_PLACEHOLDER,
                                elem_id="nq-question",
                                scale=8,
                                max_length=2000,
                                submit_btn="Ask",
                                stop_btn=False,
                            )
                        with gr.Row(elem_id="nq-chat-tools"):
                            new_chat = gr.Button("New conversation", size="sm", elem_id="nq-new", scale=0)
                    with gr.Column(scale=2, min_width=340):
                        sources = gr.HTML(
                            render.EMPTY_PANEL,
                            elem_id="nq-sources",
                            js_on_load=JS,
                            server_functions=[open_article],
                            apply_default_css=True,
                        )
                # Below the sources on a phone (the page's script folds it there); open on a wide screen.
                with gr.Accordion("Options", open=True, elem_id="nq-options"):
                    with gr.Row(elem_id="nq-settings", equal_height=True):
                        generator = gr.Dropdown(
                            [(GENERATOR_LABELS[g], g) for g in choices],
                            value=settings.generator if settings.generator in choices else "extractive",
                            label="Generator",
                            elem_id="nq-generator",
                            scale=3,
                            min_width=200,
                            filterable=False,
                        )
                        top_k = gr.Slider(
                            1,
                            min(MAX_TOP_K, settings.candidates),
                            value=min(settings.top_k, MAX_TOP_K, settings.candidates),
                            step=1,
                            label="Passages used",
                            elem_id="nq-top-k",
                            scale=3,
                            min_width=200,
                        )
                        with gr.Column(scale=2, min_width=170, elem_id="nq-settings-side"):
                            show_scores = gr.Checkbox(label="Show retrieval scores", elem_id="nq-scores")
                    with gr.Row(elem_id="nq-dates", equal_height=True):
                        since, until = (
                            gr.Textbox(label=f"Published {which}", placeholder="YYYY-MM-DD", elem_id=f"nq-{which}",
                                       max_length=10, min_width=150)
                            for which in ("since", "until")
                        )  # fmt: skip
            with gr.Tab("Corpus", id="corpus"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        articles = gr.Dataframe(
                            headers=ARTICLE_HEADERS,
                            datatype=["str", "str", "str", "str", "number", "str", "str"],
                            interactive=False,
                            wrap=True,
                            label="Indexed articles",
                            elem_id="nq-articles",
                            column_widths=["27%", "13%", "13%", "11%", "10%", "12%", "14%"],
                        )
                    with gr.Column(scale=2, min_width=320):
                        files = gr.File(
                            label="Add articles: .txt, .md or .html, up to 2 MB each",
                            file_count="multiple",
                            # No file_types: gradio would drop other files with a toast that vanishes; the
                            # server lists each refused file with its reason instead.
                            type="filepath",
                            elem_id="nq-upload",
                        )
                        replace_existing = gr.Checkbox(
                            value=False,
                            label="Replace existing articles (same name or same text)",
                            elem_id="nq-replace",
                        )
                        with gr.Row(equal_height=True):
                            links = gr.Textbox(
                                label="Add from a feed or link (RSS/Atom or article URL, http or https)",
                                placeholder="https://example.com/news/feed.xml",
                                elem_id="nq-links",
                                scale=4,
                                max_length=4000,
                            )
                            add_btn = gr.Button("Fetch and add", size="md", elem_id="nq-add", scale=1)
                        corpus_status = gr.Markdown("", elem_id="nq-corpus-status")
                        to_delete = gr.Dropdown(
                            choices=[],
                            value=[],
                            multiselect=True,
                            label="Articles to delete",
                            elem_id="nq-delete-select",
                        )
                        with gr.Row():
                            delete_btn = gr.Button("Delete selected", variant="stop", size="md", elem_id="nq-delete")
                            rescan_btn = gr.Button("Re-scan corpus folder", size="md", elem_id="nq-rescan")
                        confirmation = gr.Textbox(value="", visible=False)

        ask_inputs = [question, turns, generator, top_k, show_scores, since, until]
        ask_outputs = [chatbot, turns, sources, question, asked]
        private = {"api_visibility": "private"}

        def after_answer(event):
            """The answered conversation saved in the browser, its export files ready."""
            event.then(app.remember, [conversation_id, turns, kept], [conversation_id, kept, past], **private).then(
                app.exports, [conversation_id, turns], [export_md, export_json], **private
            )
            return event

        # always_last: a question sent while one is pending waits in the box and is asked next, never dropped.
        after_answer(
            question.submit(
                app.chat,
                ask_inputs,
                ask_outputs,
                concurrency_limit=2,
                concurrency_id="ask",
                show_progress="hidden",
                trigger_mode="always_last",
                **private,
            )
        )

        def pick_example(data: gr.SelectData) -> str:
            value = data.value
            return value.get("text", "") if isinstance(value, dict) else str(value)

        chained = chatbot.example_select(pick_example, None, question, queue=False, **private).then(
            app.chat, ask_inputs, ask_outputs, concurrency_id="ask", show_progress="hidden", **private
        )
        after_answer(chained)
        question.stop(app.stopped, [turns, asked], [chatbot, question, asked], queue=False, **private)
        shown = [chatbot, turns, sources, conversation_id]
        past.input(app.reopen, [past, kept, show_scores], shown, **private).then(
            app.exports, [conversation_id, turns], [export_md, export_json], **private
        )
        forget_btn.click(app.forget, [conversation_id, kept], [kept, past, *shown], **private).then(
            app.exports, [conversation_id, turns], [export_md, export_json], **private
        )
        chatbot.like(app.feedback, [turns, generator, top_k], None, api_visibility="private")
        show_scores.change(app.repanel, [turns, show_scores], sources, api_visibility="private", queue=False)
        new_chat.click(
            lambda: ([], [], render.EMPTY_PANEL, "", "", gr.update(value=None)),
            None,
            [chatbot, turns, sources, question, conversation_id, past],
            api_visibility="private",
            queue=False,
        ).then(app.exports, [conversation_id, turns], [export_md, export_json], **private)
        chatbot.clear(
            lambda: ([], render.EMPTY_PANEL, "", gr.update(value=None)),
            None,
            [turns, sources, conversation_id, past],
            queue=False,
            **private,
        ).then(app.exports, [conversation_id, turns], [export_md, export_json], **private)

        corpus_outputs = [corpus_status, articles, to_delete, header_status]
        files.upload(
            app.upload,
            [files, replace_existing],
            [*corpus_outputs, files],
            api_visibility="private",
            concurrency_limit=4,  # each one only follows its change in the ingestion queue
            concurrency_id="corpus",
            show_progress="minimal",
        )
        delete_btn.click(
            app.delete,
            [to_delete, confirmation],
            corpus_outputs,
            api_visibility="private",
            concurrency_limit=4,
            concurrency_id="corpus",
            show_progress="minimal",
            js="(ids, _) => [ids, (ids && ids.length && window.confirm("
            "'Delete ' + ids.length + ' article(s) from the corpus folder and the index?')) ? "
            "'delete ' + ids.join(', ') : '']",
        )
        add_btn.click(
            app.add_links,
            [links],
            [*corpus_outputs, links],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="corpus",
        )
        rescan_btn.click(
            app.rescan,
            None,
            corpus_outputs,
            api_visibility="private",
            concurrency_limit=4,
            concurrency_id="corpus",
            show_progress="minimal",
        )
        demo.load(app.corpus_view, None, [articles, to_delete, header_status], api_visibility="private")
        demo.load(app.restore, [kept, show_scores], [*shown, past], **private).then(
            app.exports, [conversation_id, turns], [export_md, export_json], **private
        )

        gr.api(app.api_ask, api_name="ask", concurrency_limit=2, concurrency_id="ask")
    return demo


# A request body: one upload batch of files together, plus room for the multipart framing of each file.
BODY_LIMITS = BodyLimits(
    max_bytes=corpus.MAX_BATCH_BYTES + 4096 * corpus.MAX_UPLOAD_FILES, max_files=corpus.MAX_UPLOAD_FILES
)
# Darker than the theme's defaults where those fail WCAG AA contrast (axe-core, tests/test_ui_accessibility.py):
# subdued text (slate-400 on white: 2.6:1), white on indigo-500 (4.46:1) and on red-500 (3.8:1).
THEME = gr.themes.Default(primary_hue="indigo", neutral_hue="slate").set(
    body_text_color_subdued="*neutral_600",
    body_text_color_subdued_dark="*neutral_400",
    button_primary_background_fill="*primary_600",
    button_primary_background_fill_hover="*primary_700",
    button_cancel_background_fill="#dc2626",
    button_cancel_background_fill_hover="#b91c1c",
)


def launch_options(settings: Settings) -> dict:
    """``Blocks.launch`` keyword arguments: safe defaults plus our theme, CSS and upload limit, and in front of
    gradio the Host check and login throttle (ui/exposure.py), then the bounds on request bodies: bytes per
    upload batch and files per upload (ui/bodylimit.py)."""
    from starlette.middleware import Middleware

    return {
        "app_kwargs": {
            "middleware": [
                Middleware(Guard, exposure=Exposure.for_settings(settings)),
                Middleware(BodyLimit, limits=BODY_LIMITS),
            ]
        },
        "server_name": settings.host,
        "server_port": settings.port,
        "share": False,
        "auth": parse_auth(settings.auth),
        "auth_message": "Newsdesk QA: sign in with the user name and password the operator gave you.",
        "show_error": False,  # unexpected exceptions show a generic error, never their details
        "max_file_size": corpus.MAX_UPLOAD_BYTES,
        "ssr_mode": False,  # no Node server
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "footer_links": ["api"],
        "theme": THEME,
        "css": CSS,
        "quiet": True,
    }


def warm_up(engine) -> None:
    """Load the models and the keyword index before the first question (errors wait for that question)."""
    try:
        started = time.perf_counter()
        engine.retriever.retrieve("warm up", engine.settings.candidates)
        log.info("models loaded in %.1f s", time.perf_counter() - started)
    except Exception as exc:  # reported again when a question is asked
        log.warning("warm-up failed: %s", exc)


def serve(settings: Settings, *, block: bool = True, insecure: bool = False, engine=None) -> gr.Blocks:
    """Launch the app for ``settings``; with ``block=False`` return once it is up (for tests). Refuses a
    non-loopback host without ``QA_AUTH`` unless ``insecure``."""
    check_exposure(settings, insecure)
    options = launch_options(settings)
    from qa.pipeline import Engine

    engine = engine or Engine(settings)  # the app's one engine: models load once, in the warm-up
    demo = build_app(settings, engine)
    demo.queue(default_concurrency_limit=2)
    threading.Thread(target=warm_up, args=(engine,), daemon=True, name="qa-warm-up").start()
    options["quiet"] = not block
    demo.launch(prevent_thread_lock=not block, **options)
    return demo
