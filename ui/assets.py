"""The app's own CSS and browser script, read from ``ui/static/`` (shipped as package data) when the app is built.

The script (``app.js``) runs as the sources panel's ``js_on_load`` (it gets that component's ``server`` object for
``open_article``) and installs document-level listeners once: citation markers in the chat show their
quoted passage in a popover and select the matching card in the panel; cards open the whole article in
an overlay with the passage highlighted; the copy button puts the answer with its sources on the clipboard.
The style sheet (``app.css``) is handed to ``Blocks.launch``. Nothing is fetched from anywhere but this app.
"""

from __future__ import annotations

from importlib.resources import files


def _static(name: str) -> str:
    return files("ui").joinpath("static", name).read_text(encoding="utf-8")


def css() -> str:
    """The app's style sheet."""
    return _static("app.css")


def script() -> str:
    """The app's browser script, for the sources panel's ``js_on_load``."""
    return _static("app.js")
