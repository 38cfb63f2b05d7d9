"""Re-exports index/models.py (where the model files that ship in wheels live) for existing imports."""

from index.models import (
    EMBED_MODEL_NAME,
    ModelMissingError,
    cpu_onnx_session,
    default_gguf_path,
    embedding_model_path,
    reranker_model_dir,
)

__all__ = [
    "EMBED_MODEL_NAME",
    "ModelMissingError",
    "cpu_onnx_session",
    "default_gguf_path",
    "embedding_model_path",
    "reranker_model_dir",
]
