"""How a failure shows in the app: one clear sentence, never a traceback.

An error meant for the user (``index.errors.UserError`` and its subclasses) shows its message, with a lead-in or
a fix for the kinds that have one; the operator's version (folders, library errors) goes to the log. Anything
else is a bug: the user gets a generic sentence and the log gets the traceback.
"""

from __future__ import annotations

import logging

from index.errors import UserError

log = logging.getLogger(__name__)


def friendly_error(exc: BaseException) -> str:
    """One clear sentence for the chat; never a traceback."""
    from index.chroma import StoreError
    from index.models import ModelMissingError
    from qa.generators import GeneratorError
    from qa.limits import HistoryError
    from qa.question import QuestionError
    from qa.redact import redact

    if isinstance(exc, (QuestionError, HistoryError)):
        return f"That question can't be answered as asked: {exc}."
    if isinstance(exc, StoreError):
        log.warning("article index unavailable: %s", exc)  # the operator's version: folders, library errors
        return f"The article index isn't available: {exc.public}."
    if isinstance(exc, UserError):
        log.warning("%s: %s", type(exc).__name__, exc)  # the full text; the user's is redacted
    if isinstance(exc, GeneratorError):
        return f"The answer generator failed: {redact(str(exc))}. Try the extractive generator in the settings."
    if isinstance(exc, ModelMissingError):
        return f"A model file is missing: {redact(str(exc))}."
    if isinstance(exc, UserError):  # any other error meant for the user (a bad article, a setting): its message
        return redact(str(exc))
    log.exception("unexpected error while answering")
    return f"Something went wrong while answering ({type(exc).__name__}). The details are in the server log."
