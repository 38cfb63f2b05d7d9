"""The Gradio app: chat with a sources panel, answer settings, and a corpus tab. Thin: it calls ``qa``.

``build_app(settings)`` makes the Blocks; ``serve(settings)`` launches it with safe defaults (bound to
``settings.host``, an optional sign-in form from ``settings.auth``, no share link, no analytics, no CDN).
The chat is also an API endpoint, ``/ask``, for the official ``gradio_client``::

    from gradio_client import Client
    answer = Client("http://127.0.0.1:7860/").predict(
        "How many American users does TikTok have?", "[]", api_name="/ask"
    )  # -> Answer.to_dict(): text, citations [{n, article_id, title, quote, start, end, ...}], abstained, ...

The page is ``ui/layout.py``; the handlers behind it are the parts an ``App`` holds (``ui/answers.py``,
``ui/conversation_handlers.py``, ``ui/feedback.py``, ``ui/corpus_tab.py``); errors show through
``ui/errors.py``.
"""

from __future__ import annotations

import threading

import gradio as gr

import qa  # noqa: F401  (importing qa sets the offline defaults, GRADIO_ANALYTICS_ENABLED=False among them)
from qa.settings import Settings, SettingsError
from ui import corpus
from ui.answers import MAX_SESSION_TURNS, Answers, generator_choices, history_from_turns, warm_up
from ui.assets import css
from ui.bodylimit import BodyLimit, BodyLimits
from ui.conversation_handlers import ConversationHandlers
from ui.corpus_changes import CorpusChanges
from ui.corpus_tab import CorpusTab, delete_phrase
from ui.errors import friendly_error
from ui.exposure import Exposure, Guard, check_exposure
from ui.feedback import FeedbackLog
from ui.ingest_queue import IngestQueue
from ui.layout import build_blocks

__all__ = [  # the names callers and tests import from here
    "BODY_LIMITS",
    "MAX_SESSION_TURNS",
    "App",
    "build_app",
    "delete_phrase",
    "friendly_error",
    "generator_choices",
    "history_from_turns",
    "launch_options",
    "parse_auth",
    "serve",
]


def parse_auth(auth: str) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise SettingsError("QA_AUTH must look like user:password")
    return user, password


class App:
    """The handlers behind the Blocks, bound to one Settings (the same object the CLI builds): the answers, the
    conversations sidebar with the sources panel and the article viewer, the feedback log and the corpus tab.
    They share one article cache (what the panel and the viewer show) and one ingestion queue."""

    def __init__(self, settings: Settings, ingest: IngestQueue | None = None, engine=None, embedder=None):
        """``engine`` (qa.pipeline.Engine) and ``embedder`` (index.embed.Embedder, the one the engine's index was
        built with): built on first use when not given."""
        self.settings = settings
        self.ingest = ingest or IngestQueue()  # corpus changes, one at a time, behind the answers
        self.articles = corpus.ArticleCache(settings)
        self.answers = Answers(settings, self.articles.find, engine)
        self.conversations = ConversationHandlers(self.articles.find)
        self.feedback_log = FeedbackLog(settings)
        self.changes = CorpusChanges(settings, embedder)
        self.corpus_tab = CorpusTab(settings, self.ingest, self.changes)
        # Each handler under the name the Blocks (ui/layout.py) and the tests call it by.
        self.chat, self.stopped, self.api_ask = self.answers.chat, self.answers.stopped, self.answers.api_ask
        self.remember, self.restore = self.conversations.remember, self.conversations.restore
        self.reopen, self.forget = self.conversations.reopen, self.conversations.forget
        self.exports, self.repanel = self.conversations.exports, self.conversations.repanel
        self.open_article = self.conversations.open_article
        self.feedback = self.feedback_log.feedback
        self.corpus_view, self.upload = self.corpus_tab.corpus_view, self.corpus_tab.upload
        self.delete, self.rescan = self.corpus_tab.delete, self.corpus_tab.rescan
        self.add_links, self.article_filter = self.corpus_tab.add_links, self.corpus_tab.article_filter


def build_app(settings: Settings, engine=None, embedder=None) -> gr.Blocks:
    """The whole app for one Settings object; launch it with ``serve`` (or ``launch(**launch_options(s))``)."""
    return build_blocks(App(settings, engine=engine, embedder=embedder))


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
        "max_file_size": corpus.MAX_PDF_BYTES,  # the largest file (a PDF); smaller limits by type are the handler's
        "ssr_mode": False,  # no Node server
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "footer_links": ["api"],
        "theme": THEME,
        "css": css(),
        "quiet": True,
    }


def serve(settings: Settings, *, block: bool = True, insecure: bool = False, engine=None) -> gr.Blocks:
    """Launch the app for ``settings``; with ``block=False`` return once it is up (for tests). Refuses a
    non-loopback host without ``QA_AUTH`` unless ``insecure``. The app's one engine (``engine``, or one built
    here) and its ingestion share one embedding model; the models load once, in the warm-up."""
    from index.embed import Embedder
    from qa.components import build_components
    from qa.pipeline import Engine

    check_exposure(settings, insecure)
    options = launch_options(settings)
    embedder = None  # with an engine given: loaded at the first corpus change
    if engine is None:
        embedder = Embedder(settings.threads)
        engine = Engine(settings, build_components(settings, embedder=embedder))
    demo = build_app(settings, engine, embedder)
    demo.queue(default_concurrency_limit=2)
    threading.Thread(target=warm_up, args=(engine,), daemon=True, name="qa-warm-up").start()
    options["quiet"] = not block
    demo.launch(prevent_thread_lock=not block, **options)
    return demo
