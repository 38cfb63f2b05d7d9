"""The Gradio app: a thin front over ``qa``. Importing it keeps the libraries offline (index/offline.py) before
gradio is imported."""

import index  # noqa: F401
