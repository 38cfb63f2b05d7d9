"""Incremental ingestion into a real embedded Chroma in a temporary folder, with the real embedding model."""

from __future__ import annotations

import shutil

import pytest
from conftest import SEED_CORPUS

from index.ingest import ingest
from index.store import EmbeddingModelMismatch, PassageStore, StoreError

pytestmark = pytest.mark.slow


def _store(settings, embedder):
    return PassageStore(settings, embedder.name, embedder.dim, create=False)


def test_incremental_add_skip_change_delete(fresh_settings, embedder):
    corpus = fresh_settings.corpus_dir
    for name in ("000_2586af1d1969f1c3.txt", "003_688cffc4895f96d0.txt"):
        shutil.copy(SEED_CORPUS / name, corpus / name)

    first = ingest(fresh_settings, embedder)
    assert sorted(first.added) == ["000_2586af1d1969f1c3", "003_688cffc4895f96d0"]
    assert first.passages_embedded > 0
    store = _store(fresh_settings, embedder)
    count = store.count()
    assert count == first.passages_embedded

    again = ingest(fresh_settings, embedder)
    assert again.passages_embedded == 0 and again.unchanged == 2 and not again.changed

    path = corpus / "003_688cffc4895f96d0.txt"
    path.write_text(path.read_text().replace("Josh Gackle", "Jane Gackle"))
    changed = ingest(fresh_settings, embedder)
    assert changed.updated == ["003_688cffc4895f96d0"] and changed.unchanged == 1
    texts = " ".join(p.passage.text for p in _store(fresh_settings, embedder).passages())
    assert "Jane Gackle" in texts and "Josh Gackle" not in texts
    assert _store(fresh_settings, embedder).count() == count  # old version replaced, not added to

    path.unlink()
    removed = ingest(fresh_settings, embedder)
    assert removed.deleted == ["003_688cffc4895f96d0"]
    records = _store(fresh_settings, embedder).articles()
    assert list(records) == ["000_2586af1d1969f1c3"] and records["000_2586af1d1969f1c3"].complete


def test_bad_files_are_skipped_and_the_rest_ingested(fresh_settings, embedder):
    corpus = fresh_settings.corpus_dir
    shutil.copy(SEED_CORPUS / "000_2586af1d1969f1c3.txt", corpus)
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "latin1.txt").write_bytes(b"caf\xe9 au lait, a story")
    (corpus / "blob.txt").write_bytes(b"\x00\x01\x02" * 100)
    report = ingest(fresh_settings, embedder)
    assert report.added == ["000_2586af1d1969f1c3"]
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert set(reasons) == {"empty.txt", "latin1.txt", "blob.txt"}
    assert "UTF-8" in reasons["latin1.txt"] and "binary" in reasons["blob.txt"]


def test_interrupted_version_is_repaired(fresh_settings, embedder):
    """Passages of an article whose ingestion was cut short are not counted as indexed."""
    corpus = fresh_settings.corpus_dir
    shutil.copy(SEED_CORPUS / "001_5a078bd5f88d9d3b.txt", corpus)
    ingest(fresh_settings, embedder)
    store = _store(fresh_settings, embedder)
    ids = store.collection.get(include=[])["ids"]
    store.collection.delete(ids=ids[:2])  # as if killed half-way through the write
    assert not store.articles()["001_5a078bd5f88d9d3b"].complete
    report = ingest(fresh_settings, embedder)
    assert report.updated == ["001_5a078bd5f88d9d3b"]
    record = _store(fresh_settings, embedder).articles()["001_5a078bd5f88d9d3b"]
    assert record.complete and record.passages == len(ids)


def test_store_refuses_a_different_embedding_model(fresh_settings, embedder):
    shutil.copy(SEED_CORPUS / "004_5d28d1c07f10a7a1.txt", fresh_settings.corpus_dir)
    ingest(fresh_settings, embedder)
    with pytest.raises(EmbeddingModelMismatch, match="built with the embedding model"):
        PassageStore(fresh_settings, "some-other/model", embedder.dim, create=False)


def test_missing_index_gives_a_clear_error(fresh_settings, embedder):
    with pytest.raises(StoreError, match="run `qa ingest`"):
        PassageStore(fresh_settings, embedder.name, embedder.dim, create=False)
