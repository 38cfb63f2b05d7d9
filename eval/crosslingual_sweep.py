"""``qa eval`` with the cross-lingual calibration's e5 threshold set by hand: an experiment, nothing is changed.

    python eval/crosslingual_sweep.py THRESHOLD [qa eval arguments...]
    python eval/crosslingual_sweep.py 0.835 eval/reuters-dev-es.jsonl --out /tmp/es-0.835

With QA_CORPUS_DIR / QA_INDEX_DIR pointing at the Reuters corpus (``qa import reuters``, ``qa ingest``), the
Spanish dev set (eval/reuters-dev-es.jsonl: eval/reuters-dev.jsonl's questions translated, follow-ups left out)
measures a threshold on questions none of our tuning saw (qa/crosslingual.py's THRESHOLD came from
eval/crosslingual_calibration.jsonl).
"""

from __future__ import annotations

import functools
import sys

import qa.crosslingual as crosslingual
from qa.cli import main

if __name__ == "__main__":
    crosslingual.Calibration = functools.partial(crosslingual.Calibration, threshold=float(sys.argv[1]))
    sys.exit(main(["eval", *sys.argv[2:]]))
