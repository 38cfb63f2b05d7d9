"""The one base class of the errors a user can act on.

A ``UserError``'s message says what was wrong and what to do, in words fit to show as is: the CLI prints it on
one line and exits 2, the app shows it as a message, never a traceback. Anything else is a bug and is reported
as one. Every module raises its own subclass (``ArticleError``, ``StoreError``, ``SettingsError``,
``QuestionError``, ``GeneratorError``...), so callers catch ``UserError`` once instead of listing them.
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose message is meant for the user (bad input, a setting, a missing model or server)."""
