"""The page: the Blocks of the chat tab (chat, sources panel, options), the corpus tab and the conversations
sidebar, each event wired to its ``App`` handler, and the ``/ask`` API endpoint. Only layout and wiring live here;
what the handlers do is in ``ui/answers.py``, ``ui/conversation_handlers.py``, ``ui/feedback.py`` and
``ui/corpus_tab.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from ui import conversations
from ui.answers import ASK_PLACEHOLDER, GENERATOR_LABELS, generator_choices
from ui.assets import script
from ui.corpus_tab import ARTICLE_HEADERS
from ui.sources_panel import EMPTY_PANEL

if TYPE_CHECKING:
    from ui.app import App

EXAMPLES = [
    "How many American users does TikTok have?",
    "How much did U.S. farm exports to China fall?",
    "Who chairs the American Soybean Association?",
    "What did Li Chenggang call the expanded U.S. sanctions?",
    "What did Bessent say about TikTok?",
]
MAX_TOP_K = 12


def _article_choice(label: str, elem_id: str) -> gr.Dropdown:
    """A list to choose indexed articles from, by title (their ids as values); filled when the corpus is read."""
    return gr.Dropdown(choices=[], value=[], multiselect=True, label=label, elem_id=elem_id)


def build_blocks(app: App) -> gr.Blocks:
    """The whole page for ``app`` (its handlers and its Settings)."""
    settings = app.settings
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
                            EMPTY_PANEL,
                            elem_id="nq-sources",
                            js_on_load=script(),
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
                    article_filter = _article_choice("Only these articles (none chosen: all)", "nq-article-filter")
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
                            label="Add articles: .txt, .md or .html up to 2 MB each, text .pdf up to 20 MB",
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
                        to_delete = _article_choice("Articles to delete", "nq-delete-select")
                        with gr.Row():
                            delete_btn = gr.Button("Delete selected", variant="stop", size="md", elem_id="nq-delete")
                            rescan_btn = gr.Button("Re-scan corpus folder", size="md", elem_id="nq-rescan")
                        confirmation = gr.Textbox(value="", visible=False)

        ask_inputs = [question, turns, generator, top_k, show_scores, since, until, article_filter]
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
            lambda: ([], [], EMPTY_PANEL, "", "", gr.update(value=None)),
            None,
            [chatbot, turns, sources, question, conversation_id, past],
            api_visibility="private",
            queue=False,
        ).then(app.exports, [conversation_id, turns], [export_md, export_json], **private)
        chatbot.clear(
            lambda: ([], EMPTY_PANEL, "", gr.update(value=None)),
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
            trigger_mode="multiple",  # a second batch is queued while the first runs, with its own bar
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
        # The table changes when the corpus does (on load and after each change): the filter's choices follow.
        articles.change(app.article_filter, article_filter, article_filter, api_visibility="private")
        demo.load(app.restore, [kept, show_scores], [*shown, past], **private).then(
            app.exports, [conversation_id, turns], [export_md, export_json], **private
        )

        gr.api(app.api_ask, api_name="ask", concurrency_limit=2, concurrency_id="ask")
    return demo
