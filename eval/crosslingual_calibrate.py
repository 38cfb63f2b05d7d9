"""Calibrate qa/crosslingual.py's THRESHOLD on eval/crosslingual_calibration.jsonl (kept apart from seed.jsonl).

    PYTHONPATH=. python eval/crosslingual_calibrate.py

For each question, every sentence of the seed corpus in another language than the question's is scored by
e5 similarity. An answerable question counts as right at threshold T when its gold sentence is the best one
and reaches T; an unanswerable one when no sentence reaches T. Prints each question's figures and the T
(on a 0.005 grid) with the most right, the highest such T on a tie (refusing is the safer mistake).

The language gap (GAP): how much lower e5 puts a relevant pair across languages than the same pair in one
language, measured on the answerable items that give an English wording of the question (``question_en``,
against the gold sentence) or of the gold sentence (``quote_en``, against the question); the median is printed.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from index.language import LanguageDetector
    from index.load import corpus_files, load_article
    from index.multilingual import E5Encoder
    from index.sentences import sentence_spans

    detector, e5 = LanguageDetector(), E5Encoder()
    sentences = []
    for path in corpus_files(ROOT / "corpus"):
        article = load_article(path, ROOT / "corpus")
        sentences += [article.text[s:e] for s, e in sentence_spans(article.text)]
    languages = [detector.detect(s) for s in sentences]
    rows, gaps = [], []
    for line in (ROOT / "eval" / "crosslingual_calibration.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        language = detector.detect(item["question"])
        other = [s for s, lang in zip(sentences, languages, strict=True) if lang != language]
        sims = e5.similarities(item["question"], other)
        best = max(range(len(other)), key=lambda i: sims[i])
        gold = item["quote"]
        top_is_gold = bool(gold) and (gold in other[best] or other[best] in gold)
        rows.append((bool(gold), top_is_gold, sims[best]))
        if gold and item.get("question_en"):
            gaps.append(e5.similarities(item["question_en"], [gold])[0] - e5.similarities(item["question"], [gold])[0])
        if gold and item.get("quote_en"):
            gaps.append(
                e5.similarities(item["question"], [item["quote_en"]])[0] - e5.similarities(item["question"], [gold])[0]
            )
        print(
            f"{language} {'answerable' if gold else 'unanswerable':12} best {sims[best]:.3f} gold first: {top_is_gold}"
        )
    best_t, best_right = 0.0, -1
    for k in range(140, 200):
        t = k / 200
        right = sum((top and sim >= t) if answerable else sim < t for answerable, top, sim in rows)
        if right >= best_right:
            best_t, best_right = t, right
    print(f"threshold {best_t:.3f}: {best_right}/{len(rows)} right")
    gaps.sort()
    print(
        f"language gap: median {gaps[len(gaps) // 2]:.3f} over {len(gaps)} pairs (from {gaps[0]:.3f} to {gaps[-1]:.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
