"""qa train reranker: the 6-layer student distilled from the L-12 cross-encoder we serve."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from training_sources import tiny_sources

pytestmark = pytest.mark.slow

QUESTION = "How many American users does TikTok have?"
TEXTS = [
    "TikTok, with more than 170 million American users, faces a ban.",
    "The weather in Madrid was sunny on Sunday.",
    "TikTok is owned by ByteDance, a Chinese company.",
]


def _torch_logits(model, texts):
    import torch
    from tokenizers import Tokenizer

    from index.models import reranker_model_dir

    tokenizer = Tokenizer.from_file(str(reranker_model_dir() / "tokenizer.json"))
    out = []
    with torch.no_grad():
        for text in texts:
            e = tokenizer.encode(QUESTION, text)
            feeds = {k: torch.tensor([getattr(e, f)]) for k, f in
                     (("input_ids", "ids"), ("attention_mask", "attention_mask"), ("token_type_ids", "type_ids"))}  # fmt: skip
            out.append(model.eval()(**feeds).logits.item())
    return out


def test_the_dequantized_teacher_scores_as_the_int8_model_we_serve():
    """The student is cut from these weights: a wrong name mapping would load nonsense (or nothing) silently."""
    import torch
    from transformers import BertForSequenceClassification

    from index.models import reranker_model_dir
    from qa.rerank import CrossEncoder
    from qa.reranker_train import dequantized_teacher, teacher_config

    state = dequantized_teacher(reranker_model_dir() / "model.onnx")
    teacher = BertForSequenceClassification(teacher_config())
    missing, unexpected = teacher.load_state_dict(
        {k: torch.from_numpy(np.array(v)) for k, v in state.items()}, strict=False
    )
    assert not [m for m in missing if not m.endswith("position_ids")] and not unexpected
    served = CrossEncoder(2).score(QUESTION, TEXTS)
    ours = _torch_logits(teacher, TEXTS)
    assert np.max(np.abs(np.array(served) - np.array(ours))) < 0.5, (served, ours)
    assert served[0] > 5 and served[1] < -5  # and the texts are told apart, so the comparison means something


def test_reranker_training_runs_end_to_end_on_a_tiny_slice(tmp_path):
    from qa.rerank import CrossEncoder
    from qa.reranker_train import RerankerConfig, run
    from qa.training import TrainingPlaces

    sources = tiny_sources(tmp_path)
    config = RerankerConfig(dense_negatives=False, questions=40, heldout_questions=10, max_steps=3, batch_size=16,
                            checkpoint_every=2, limit=20)  # fmt: skip
    out = tmp_path / "out"
    logged: list[str] = []
    figures = run(config, TrainingPlaces(tmp_path / "data", out, sources), log=logged.append)
    assert {"model.onnx", "tokenizer.json", "MODEL_CARD.md"} <= {p.name for p in out.iterdir()}
    assert figures["training"]["steps"] == 3
    kinds = figures["pairs"]["by_kind"]
    assert kinds.get("paragraph") and kinds.get("other-paragraph") and kinds.get("answer-sentence")
    assert hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest() == figures["sha256"]
    assert figures["sha256"] in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    # The exported student runs where the teacher runs, and still tells an answer from an unrelated sentence
    # after three tiny steps (it starts as half of the teacher).
    scores = CrossEncoder(2, model_dir=out).score(QUESTION, TEXTS)
    assert scores[0] > scores[1]
    logged.clear()
    run(config, TrainingPlaces(tmp_path / "data", out, sources), log=logged.append)
    assert any("resuming from step 3 of 3" in line for line in logged), logged
