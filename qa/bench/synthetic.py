"""The ``100k`` size of ``qa bench speed``: a collection of real Reuters passages plus synthetic copies, written
straight into Chroma (embedding 100,000 passages with the real model would take well over an hour here)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from qa.bench.measure import spec_settings
from qa.progress import ProgressBar

SYNTHETIC_SEED = 1987
CALIBRATION_SAMPLE = 200


def build_synthetic(spec: dict) -> dict:
    """A collection of ``total`` passages: the source index's real passages plus shuffled copies.

    Each synthetic copy of an article keeps its passages but shuffles the sentences inside each passage
    (seeded), under the article id ``synthetic/cNN/<original id>`` with ``synthetic: true`` in its
    metadata. Its vectors are the original passage vectors plus Gaussian noise, renormalised, with the
    noise scale calibrated on a sample of shuffled passages that *are* embedded: sigma is chosen so that
    the expected cosine between an original and its noisy copy equals the measured mean cosine between
    an original passage and its really embedded shuffled text (cos ~= 1 / sqrt(1 + d * sigma^2)).
    """
    import hashlib

    import numpy as np

    from index.embed import Embedder, passage_text_for_embedding
    from index.sentences import sentence_spans
    from index.store import PassageStore
    from index.types import Passage

    started = time.perf_counter()
    source = PassageStore(spec_settings({"index": spec["source_index"]}), Embedder.name, Embedder.dim, create=False)
    current = {a: r.content_hash for a, r in source.articles().items() if r.complete}
    rows = []  # (meta, text, vector)
    offset = 0
    while True:
        page = source.collection.get(include=["metadatas", "documents", "embeddings"], limit=5000, offset=offset)
        if not page["ids"]:
            break
        offset += len(page["ids"])
        for meta, text, vector in zip(page["metadatas"], page["documents"], page["embeddings"], strict=True):
            if current.get(meta["article_id"]) == meta["content_hash"]:
                rows.append((meta, text, np.asarray(vector, dtype=np.float32)))
    rows.sort(key=lambda r: (r[0]["article_id"], int(r[0]["start"])))
    by_article: dict[str, list] = {}
    for row in rows:
        by_article.setdefault(row[0]["article_id"], []).append(row)
    rng = np.random.default_rng(SYNTHETIC_SEED)

    def shuffled(text: str) -> str:
        spans = sentence_spans(text)
        if len(spans) < 2:
            return text
        order = rng.permutation(len(spans))
        return " ".join(text[spans[i][0] : spans[i][1]] for i in order)

    # Calibration: embed shuffled versions of a sample, compare with the originals' stored vectors.
    embedder = Embedder(2)
    sample = rng.choice(len(rows), size=min(CALIBRATION_SAMPLE, len(rows)), replace=False)
    texts = [passage_text_for_embedding(rows[i][0].get("title", ""), shuffled(rows[i][1])) for i in sample]
    t = time.perf_counter()
    vectors = embedder.embed(texts)
    calibration_seconds = time.perf_counter() - t
    cosines = [float(np.dot(vectors[j], rows[i][2])) for j, i in enumerate(sample)]
    multi = [c for c, i in zip(cosines, sample, strict=True) if len(sentence_spans(rows[i][1])) > 1]
    mean_cos = float(np.mean(cosines))
    dim = Embedder.dim
    sigma = float(np.sqrt(max(1 / mean_cos**2 - 1, 0.0) / dim))
    check = []
    for i in sample[:50]:
        noisy = rows[i][2] + sigma * rng.standard_normal(dim).astype(np.float32)
        check.append(float(np.dot(noisy / np.linalg.norm(noisy), rows[i][2])))

    target_dir = Path(spec["target_index"])
    if target_dir.exists():
        shutil.rmtree(target_dir)
    target = PassageStore(spec_settings({"index": target_dir}), Embedder.name, Embedder.dim, create=True)
    keys = ("title", "content_hash", "n_passages", "indexed_at", "published", "byline", "source")
    total = int(spec["total"])
    progress = ProgressBar("synthetic", unit="passage", mininterval=2)
    batch: list = []
    written = 0
    write_seconds = 0.0

    def flush() -> None:
        nonlocal batch, written, write_seconds
        if batch:
            t = time.perf_counter()
            target.add(batch)
            write_seconds += time.perf_counter() - t
            written += len(batch)
            progress(written, total)
            batch = []

    for meta, text, vector in rows:  # the real passages first, unchanged
        passage = Passage(meta["article_id"], text, int(meta["start"]), int(meta["end"]), int(meta["paragraph"]))
        batch.append((passage, {k: meta[k] for k in keys if k in meta}, vector))
        if len(batch) >= 2000:
            flush()
    copies = 0
    count = len(rows)
    while count < total:
        copies += 1
        for article_id, article_rows in by_article.items():
            if count >= total:
                break
            take = article_rows[: total - count]
            new_texts = [shuffled(text) for _, text, _ in take]
            synthetic_id = f"synthetic/c{copies:02d}/{article_id}"
            body = "\n".join(new_texts)
            digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
            position = 0
            for number, ((meta, _, vector), new_text) in enumerate(zip(take, new_texts, strict=True)):
                noisy = vector + sigma * rng.standard_normal(dim).astype(np.float32)
                noisy /= np.linalg.norm(noisy)
                passage = Passage(synthetic_id, new_text, position, position + len(new_text), number)
                position += len(new_text) + 1
                article_meta = {k: meta[k] for k in keys if k in meta}
                article_meta.update(content_hash=digest, n_passages=len(take), synthetic=True, synthetic_of=article_id)
                batch.append((passage, article_meta, noisy))
            count += len(take)
            if len(batch) >= 2000:
                flush()
    flush()
    progress.close()
    info = {
        "total": target.count(),
        "real_passages": len(rows),
        "real_articles": len(by_article),
        "copies": copies,
        "sigma": sigma,
        "calibration_sample": len(sample),
        "calibration_seconds": calibration_seconds,
        "mean_cos_shuffled": mean_cos,
        "mean_cos_shuffled_multi_sentence": float(np.mean(multi)) if multi else None,
        "multi_sentence_share": len(multi) / len(sample),
        "mean_cos_noisy_check": float(np.mean(check)),
        "write_seconds": write_seconds,
        "write_passages_per_s": written / write_seconds if write_seconds else None,
        "seconds": time.perf_counter() - started,
        "seed": SYNTHETIC_SEED,
        "source_index": str(spec["source_index"]),
        "source_count": source.count(),
    }
    (target_dir / "synthetic.json").write_text(json.dumps(info, indent=2))
    return info
