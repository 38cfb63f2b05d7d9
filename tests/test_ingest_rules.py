"""Ingestion's rules with a real embedded Chroma and a stand-in embedder (deterministic vectors from a hash), so
they run in seconds: the content-hash skip, replacement, deletion, and ``qa ingest --rebuild``. The real
embedding model is exercised by tests/test_ingest.py."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest
from conftest import SEED_CORPUS

from index.ingest import content_hash, ingest
from index.store import EmbeddingModelMismatch, PassageStore
from index.types import Article

HARBOUR = "Harbour opens\n\nThe harbour opened on Tuesday after nine years of work, officials said.\n"
FERRY = "Ferry resumes\n\nThe ferry to the island resumed on Monday, the operator said.\n\nTickets cost 4 euros.\n"


class HashEmbedder:
    """Unit vectors from each text's hash; counts what it embeds."""

    dim = 384

    def __init__(self, name: str = "test/hash-embedder"):
        self.name = name
        self.embedded: list[str] = []

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.embedded += texts
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)


def _write(settings, **articles: str) -> None:
    for name, text in articles.items():
        (settings.corpus_dir / f"{name}.txt").write_text(text, encoding="utf-8")


def test_an_unchanged_article_is_not_embedded_again(fresh_settings):
    _write(fresh_settings, harbour=HARBOUR, ferry=FERRY)
    embedder = HashEmbedder()
    first = ingest(fresh_settings, embedder)
    assert sorted(first.added) == ["ferry", "harbour"] and first.passages_embedded == len(embedder.embedded) > 0

    embedder.embedded.clear()
    again = ingest(fresh_settings, embedder)
    assert (again.unchanged, again.added, again.updated, again.passages_embedded) == (2, [], [], 0)
    assert embedder.embedded == []


def test_a_changed_article_is_replaced_and_only_it_embedded(fresh_settings):
    _write(fresh_settings, harbour=HARBOUR, ferry=FERRY)
    embedder = HashEmbedder()
    first = ingest(fresh_settings, embedder)
    embedder.embedded.clear()
    _write(fresh_settings, ferry=FERRY.replace("4 euros", "6 euros"))
    report = ingest(fresh_settings, embedder)
    assert report.updated == ["ferry"] and report.unchanged == 1
    assert embedder.embedded and all("harbour" not in t.lower() for t in embedder.embedded)
    texts = " ".join(p.passage.text for p in PassageStore(fresh_settings, embedder.name, 384).passages())
    assert "6 euros" in texts and "4 euros" not in texts
    # the old version's passages are gone from the collection, not merely hidden by the newer one
    collection = PassageStore(fresh_settings, embedder.name, 384).collection
    assert collection.count() == first.passages_embedded
    assert not any("4 euros" in text for text in collection.get(include=["documents"])["documents"])


def test_an_article_cut_short_by_a_killed_run_is_ingested_again(fresh_settings):
    seed = "001_5a078bd5f88d9d3b"
    _write(fresh_settings, **{seed: (SEED_CORPUS / f"{seed}.txt").read_text(encoding="utf-8")})
    embedder = HashEmbedder()
    first = ingest(fresh_settings, embedder)
    store = PassageStore(fresh_settings, embedder.name, embedder.dim, create=False)
    ids = store.collection.get(include=[])["ids"]
    assert len(ids) == first.passages_embedded > 1
    store.collection.delete(ids=ids[:1])  # as if killed half-way through the write
    assert not store.articles()[seed].complete
    assert ingest(fresh_settings, embedder).updated == [seed]
    assert PassageStore(fresh_settings, embedder.name, embedder.dim, create=False).articles()[seed].complete


def test_the_content_hash_covers_everything_stored_with_a_passage():
    """Title, dateline and byline are stored with every passage (and shown): a change to any of them, to the
    text or to the embedding model is a change, even where a loader takes them from outside the text."""
    base = Article("a", "Harbour opens", "The harbour opened.", "a.txt", "Monday", "By Ann Lee")
    digest = content_hash(base, "m")
    changes = {"title": "Harbour shuts", "text": "The harbour shut.", "published": "Tuesday", "byline": "By Bo",
               "date": "2025-10-14", "site": "Gull Island Times", "url": "https://gull.example/harbour"}  # fmt: skip
    for field, value in changes.items():
        assert content_hash(replace(base, **{field: value}), "m") != digest, field
    assert content_hash(base, "other/model") != digest
    assert content_hash(replace(base, source="b.txt"), "m") == digest  # where it was read from is not content


def test_a_retitled_article_counts_as_changed(fresh_settings):
    _write(fresh_settings, harbour=HARBOUR)
    embedder = HashEmbedder()
    ingest(fresh_settings, embedder)
    _write(fresh_settings, harbour=HARBOUR.replace("Harbour opens", "Harbour finally opens"))
    assert ingest(fresh_settings, embedder).updated == ["harbour"]


def test_a_removed_article_is_deleted_from_the_store(fresh_settings):
    _write(fresh_settings, harbour=HARBOUR, ferry=FERRY)
    embedder = HashEmbedder()
    ingest(fresh_settings, embedder)
    (fresh_settings.corpus_dir / "ferry.txt").unlink()
    report = ingest(fresh_settings, embedder)
    assert report.deleted == ["ferry"] and report.unchanged == 1
    store = PassageStore(fresh_settings, embedder.name, embedder.dim, create=False)
    assert list(store.articles()) == ["harbour"]
    assert {p.passage.article_id for p in store.passages()} == {"harbour"}
    assert store.count() == len(store.passages())


def test_rebuild_replaces_an_index_built_with_another_embedding_model(fresh_settings):
    _write(fresh_settings, harbour=HARBOUR, ferry=FERRY)
    ingest(fresh_settings, HashEmbedder("old/model"))
    embedder = HashEmbedder()
    with pytest.raises(EmbeddingModelMismatch, match="qa ingest --rebuild"):
        ingest(fresh_settings, embedder)
    report = ingest(fresh_settings, embedder, rebuild=True)
    assert sorted(report.added) == ["ferry", "harbour"] and report.unchanged == 0
    store = PassageStore(fresh_settings, embedder.name, embedder.dim, create=False)
    assert store.collection.metadata["embed_model"] == embedder.name
    assert sorted(store.articles()) == ["ferry", "harbour"] and store.count() == report.passages_embedded
    again = ingest(fresh_settings, embedder, rebuild=True)  # a rebuild embeds everything again
    store = PassageStore(fresh_settings, embedder.name, embedder.dim, create=False)
    assert again.passages_embedded == report.passages_embedded == store.count()


def test_rebuild_of_an_index_that_does_not_exist_yet_builds_it(fresh_settings):
    _write(fresh_settings, harbour=HARBOUR)
    assert ingest(fresh_settings, HashEmbedder(), rebuild=True).added == ["harbour"]


def test_qa_ingest_rebuild_on_the_command_line(fresh_settings, monkeypatch, capsys):
    """`qa ingest --rebuild`, what the store's mismatch error tells users to run, run by the CLI's own main()."""
    import index.embed
    import qa.cli

    _write(fresh_settings, harbour=HARBOUR)
    ingest(fresh_settings, HashEmbedder("old/model"))
    embedder = HashEmbedder()
    monkeypatch.setattr(index.embed, "Embedder", lambda threads: embedder)
    monkeypatch.setattr(qa.cli, "_ensure_query_encoder", lambda settings, embedder: None)
    for name, value in {"CORPUS_DIR": fresh_settings.corpus_dir, "INDEX_DIR": fresh_settings.index_dir}.items():
        monkeypatch.setenv(f"QA_{name}", str(value))
    monkeypatch.setenv("QA_DATA_DIR", str(fresh_settings.data_dir))

    assert qa.cli.main(["ingest"]) == 2
    assert "qa ingest --rebuild" in capsys.readouterr().err
    assert qa.cli.main(["ingest", "--rebuild"]) == 0
    assert "1 added" in capsys.readouterr().out
    store = PassageStore(fresh_settings, embedder.name, embedder.dim, create=False)
    assert store.collection.metadata["embed_model"] == embedder.name and list(store.articles()) == ["harbour"]
