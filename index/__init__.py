"""Turning articles into a searchable store: load, split, embed, Chroma (via llama-index).

Depends on nothing in ``qa`` or ``ui`` (tests/test_architecture.py checks it). Importing it keeps the libraries
offline (index/offline.py), before any of them is imported.
"""

from index.offline import keep_offline

keep_offline()
