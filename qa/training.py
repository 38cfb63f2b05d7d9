"""What our two training commands (``qa train reader``, ``qa train reranker``) share: the set-up of a run (its
work folder named by the configuration, the source files, the cached examples), the fine-tuning loop with
resumable checkpoints, length-bucketed batches, and the ONNX export. Torch is imported inside the functions:
nothing here is imported when answering."""

from __future__ import annotations

import hashlib
import json
import math
import os
import pickle
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class LoopConfig:
    """The optimisation settings both commands' configurations carry (``key`` names the configuration that wrote a
    checkpoint: a checkpoint of another one is ignored)."""

    key: str
    batch_size: int
    learning_rate: float
    warmup_share: float
    weight_decay: float
    epochs: float
    max_steps: int  # 0: as many as the epochs take
    bf16: bool
    checkpoint_every: int


def config_key(config, unrelated: tuple[str, ...] = ("checkpoint_every",)) -> str:
    """A short hash of a training configuration without the fields that do not change the trained weights."""
    relevant = {k: v for k, v in asdict(config).items() if k not in unrelated}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TrainingPlaces:
    """Where a training command reads and writes; ``None`` takes the default."""

    data_dir: Path | None = None  # the archive cache and the resumable work folders (default: the project's data/)
    out_dir: Path | None = None  # where the exported model goes (default: the model's folder in the package)
    sources: dict[str, Path] | None = None  # replaces the files taken from the archive (the tiny runs in tests)


@dataclass(frozen=True)
class TrainingRun:
    """Where a training command works (``data_dir/train/<model>-<key>``, resumable), what it reads, where the
    model goes."""

    work_dir: Path
    sources: dict[str, Path]
    out_dir: Path
    began: float  # time.perf_counter() at the start


def start_run(model: str, config, places: TrainingPlaces | None, default_out: Path) -> TrainingRun:
    """The work folder of this configuration, the source files and the output folder."""
    from qa.settings import PROJECT_ROOT

    places = places or TrainingPlaces()
    began = time.perf_counter()
    data_dir = places.data_dir or PROJECT_ROOT / "data"
    work_dir = data_dir / "train" / f"{model}-{config.key()}"
    work_dir.mkdir(parents=True, exist_ok=True)
    return TrainingRun(work_dir, training_sources(data_dir, places.sources), places.out_dir or default_out, began)


def dense_embedding(config) -> Callable | None:
    """The embedding function that mines dense negatives, or ``None`` with ``dense_negatives`` off (BM25 only)."""
    if not config.dense_negatives:
        return None
    from index.embed import Embedder

    return Embedder(threads=2, batch_size=64).embed


def cached(path: Path, build: Callable[[], object], what: str, log=print):
    """What ``build()`` returns, pickled at ``path`` so that a resumed run does not build it again."""
    if path.exists():
        log(f"{what} read from {path}")
        return pickle.loads(path.read_bytes())
    value = build()
    path.write_bytes(pickle.dumps(value))
    return value


def count_kinds(items) -> dict[str, int]:
    """How many of the examples or pairs there are of each ``kind``."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return counts


def loop_config(config) -> LoopConfig:
    return LoopConfig(
        config.key(),
        config.batch_size,
        config.learning_rate,
        config.warmup_share,
        config.weight_decay,
        config.epochs,
        config.max_steps,
        config.bf16,
        config.checkpoint_every,
    )


def batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in a seeded random order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 50
    out = []
    for begin in range(0, len(order), chunk):
        part = sorted(order[begin : begin + chunk], key=lengths.__getitem__)
        out += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
    rng.shuffle(out)
    return out


def padded(ids: Sequence[Sequence[int]], type_ids: Sequence[Sequence[int]], batch: list[int]):
    """Token ids, token type ids and attention mask of ``batch`` as tensors padded to its longest member."""
    import torch

    width = max(len(ids[i]) for i in batch)
    out_ids = torch.zeros((len(batch), width), dtype=torch.long)
    out_types = torch.zeros_like(out_ids)
    mask = torch.zeros_like(out_ids)
    for row, i in enumerate(batch):
        n = len(ids[i])
        out_ids[row, :n] = torch.tensor(ids[i])
        out_types[row, :n] = torch.tensor(type_ids[i])
        mask[row, :n] = 1
    return out_ids, out_types, mask


def save_atomic(obj, path: Path) -> None:
    import torch

    temporary = path.with_name(f".{path.name}.tmp")
    torch.save(obj, temporary)
    os.replace(temporary, path)


def fine_tune(
    model,
    plan: list[list[int]],
    loss_of: Callable[[object, list[int]], object],
    config: LoopConfig,
    work_dir: Path,
    desc: str,
    log=print,
) -> tuple[object, dict]:
    """AdamW with linear warm-up and decay over ``plan`` (repeated for ``epochs``, cut at ``max_steps``), bf16
    autocast, gradient clipping 1.0; ``loss_of(model, batch)`` gives a batch's loss. Checkpoints every
    ``checkpoint_every`` steps into ``work_dir/checkpoint.pt`` and resumes from it when the same configuration wrote
    it. The caller seeds torch and builds the model first (a fresh head's initialisation draws from that seed)."""
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    total = max(1, min(math.ceil(len(plan) * config.epochs), config.max_steps or math.inf))
    schedule = [plan[i % len(plan)] for i in range(total)]
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": config.weight_decay,
        },
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_share * total), total)
    step = 0
    earlier = 0.0  # training seconds spent by the runs this one resumes
    checkpoint = work_dir / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        if state.get("key") == config.key:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            torch.set_rng_state(state["rng"])
            step = state["step"]
            earlier = state.get("seconds", 0.0)
            log(f"resuming from step {step} of {total} ({checkpoint})")
        else:
            log(f"ignoring {checkpoint}: written by another configuration")
    model.train()
    started = time.perf_counter()
    bar = tqdm(total=total, initial=step, unit="batch", desc=desc, file=sys.stderr, mininterval=5)
    losses: list[float] = []
    while step < total:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
            loss = loss_of(model, schedule[step])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        step += 1
        bar.update(1)
        if step % 20 == 0:
            bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}")
        if step % config.checkpoint_every == 0 or step == total:
            save_atomic(
                {
                    "key": config.key,
                    "step": step,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "rng": torch.get_rng_state(),
                    "seconds": earlier + time.perf_counter() - started,
                },
                checkpoint,
            )
    bar.close()
    model.eval()
    this_run = time.perf_counter() - started
    return model, {"steps": total, "seconds_this_run": this_run, "seconds": earlier + this_run}


def export_onnx(model, path: Path, output_names: list[str], outputs_of: Callable) -> None:
    """``model`` (a transformers BERT model) as ONNX with inputs input_ids, attention_mask, token_type_ids (int64,
    dynamic batch and length); ``outputs_of(model_output)`` picks the tensors named ``output_names``."""
    import warnings

    import torch

    class Outputs(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return outputs_of(
                self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            )

    args = (
        torch.ones((1, 24), dtype=torch.long),
        torch.ones((1, 24), dtype=torch.long),
        torch.zeros((1, 24), dtype=torch.long),
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Outputs(model.float().eval()),
            args,
            str(path),
            dynamo=False,
            input_names=names,
            output_names=output_names,
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names}
            | {n: ({0: "batch"} if n == "logits" else {0: "batch", 1: "tokens"}) for n in output_names},
            opset_version=17,
        )


def training_sources(data_dir: Path, sources: dict[str, Path] | None = None) -> dict[str, Path]:
    """The training files taken from the bigbench archive (downloaded on first use, never the reserved ones), or
    ``sources`` when given (the tiny runs in tests)."""
    from qa.bench.archive import SDIST, download_sdist
    from qa.reader_data import extract_sources

    if sources is not None:
        return sources
    cache = data_dir / "cache"
    sdist = cache / SDIST
    if not sdist.exists():
        sdist = download_sdist(cache)
    return extract_sources(sdist, cache / "reader-sources")


def quantize(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel weights: quantized per tensor, the reader's first full run (2026-12-04) picked the fp32 model's
    # span on only 63.7 % of 2,325 held-out examples; per channel see its MODEL_CARD.md.
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
