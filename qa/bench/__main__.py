"""``python -m qa.bench NAME ...``: the same program as ``qa bench NAME ...`` (same parser, settings and errors)."""

from __future__ import annotations

import sys

from qa.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
