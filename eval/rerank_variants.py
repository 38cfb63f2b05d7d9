"""Reranker variants that might be faster, timed on the benchmark's queries with every candidate scored.

    python eval/rerank_variants.py data/bench/synthetic-100000/index    # after `make bench`

For each query of `make bench` it takes the 20 fused candidates from the given index and times the
reranker on all of them (repeats included, as for an archive without repeats), three rounds, for:
the current reranker; input capped at 192 / 160 / 128 tokens; batches of 2, 3 and 4 texts by length
on the parallel runs; ORT sessions with denormals as zero or the "extended" graph level; and ORT's
fused BERT graph (Attention, SkipLayerNorm, BiasGelu) re-quantized with QAttention, rebuilt from the
shipped int8 model (dequantized to fp32, fused by onnxruntime.transformers, quantized dynamically).
It prints p50/p95 and how far the scores move from the current reranker's, and the token counts of the
candidates against 20 distinct texts taken from further down the list.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def fused_requantized_model(folder: Path) -> Path:
    """The shipped int8 reranker rebuilt as ORT's fused BERT graph, re-quantized (QAttention)."""
    import onnx
    from onnx import helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    from index.models import reranker_model_dir

    model = onnx.load(str(reranker_model_dir() / "model.onnx"))
    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def array(name: str) -> np.ndarray:
        return numpy_helper.to_array(initializers[name]).astype(np.float32)

    dropped, replaced, added = set(), {}, []
    for node in graph.node:
        if node.op_type == "MatMulInteger":  # DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul(scales)
            weight, zero_point = node.input[1], node.input[3]
            base = weight.removesuffix("_quantized")
            added.append(numpy_helper.from_array((array(weight) - array(zero_point)) * array(base + "_scale"), base))
            cast = consumers[node.output[0]][0]
            scale = consumers[cast.output[0]][0]
            dropped.update({id(cast), id(scale)})
            float_input = producer[node.input[0]].input[0]
            replaced[id(node)] = helper.make_node("MatMul", [float_input, base], [scale.output[0]], name=base)
        elif node.op_type == "DequantizeLinear":  # quantized embedding table -> Gather -> DequantizeLinear
            quantized, scale, zero_point = node.input
            gather = producer[quantized]
            table = gather.input[0].removesuffix("_quantized")
            values = (array(gather.input[0]) - array(zero_point)) * array(scale)
            added.append(numpy_helper.from_array(values, table))
            gather.input[0], gather.output[0] = table, node.output[0]
            dropped.add(id(node))
    nodes = [replaced.get(id(n), n) for n in graph.node if id(n) not in dropped]
    needed, live = {o.name for o in graph.output}, []
    for node in reversed(nodes):  # drop what no longer feeds the output
        if any(o in needed for o in node.output):
            live.append(node)
            needed.update(node.input)
    del graph.node[:]
    graph.node.extend(reversed(live))
    kept = [i for i in list(graph.initializer) + added if i.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    fp32 = folder / "fp32.onnx"
    onnx.save(model, str(fp32))
    fused = folder / "fused-fp32.onnx"
    optimize_model(str(fp32), model_type="bert", num_heads=12, hidden_size=384, opt_level=1).save_model_to_file(
        str(fused)
    )
    out = folder / "fused-int8.onnx"
    quantize_dynamic(str(fused), str(out), weight_type=QuantType.QInt8)
    return out


def main(index: str) -> None:
    import onnxruntime as ort

    from index.models import cpu_onnx_session, reranker_model_dir
    from qa.bench.measure import spec_settings
    from qa.bench.workers import bench_queries
    from qa.figures import percentile
    from qa.pipeline import Engine
    from qa.rerank import CrossEncoder
    from qa.settings import Settings

    retriever = Engine(spec_settings({"index": index})).retriever
    queries = bench_queries(Settings.from_env().data_dir)
    lists = [(q, [c.passage.text for c in retriever.candidates(q, 20)[0]]) for q in queries]
    current = retriever.reranker
    shipped = reranker_model_dir() / "model.onnx"

    def variant(session_=None, **kwargs) -> CrossEncoder:
        encoder = CrossEncoder(current.threads, **kwargs)
        encoder.__dict__["_session"] = session_ or current._session
        return encoder

    with tempfile.TemporaryDirectory() as tmp:
        variants = {"current (max 256 tokens, one text per run)": current}
        variants |= {f"max {n} tokens": variant(max_length=n) for n in (192, 160, 128)}
        variants |= {f"batches of {n}": variant(batch_size=n) for n in (2, 3, 4)}

        def denormals_as_zero(options) -> None:
            options.add_session_config_entry("session.set_denormal_as_zero", "1")

        def extended_graph_level(options) -> None:
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED

        variants["denormals as zero"] = variant(cpu_onnx_session(shipped, 1, denormals_as_zero))
        variants["graph level extended"] = variant(cpu_onnx_session(shipped, 1, extended_graph_level))
        variants["fused graph, QAttention"] = variant(cpu_onnx_session(fused_requantized_model(Path(tmp)), 1))
        seconds = {name: [] for name in variants}
        scores = {name: [] for name in variants}
        for encoder in variants.values():
            encoder.score("warm up", ["warm up"])
        for round_ in range(3):
            for query, texts in lists:
                for name, encoder in variants.items():
                    started = time.perf_counter()
                    result = encoder.score(query, texts, skip_repeats=False)
                    seconds[name].append(time.perf_counter() - started)
                    if round_ == 0:
                        scores[name].append(np.array(result))
    # Why the bench no longer times "20 distinct texts from further down the fused list": those are longer.
    deep = [(q, list(dict.fromkeys(c.passage.text for c in retriever.candidates(q, 100)[0]))[:20]) for q, _ in lists]
    tokenizer = current._tokenizer
    for label, pairs in (("the 20 fused candidates", lists), ("20 distinct texts from the top 100", deep)):
        lengths = [sum(e.attention_mask) for q, texts in pairs for e in tokenizer.encode_batch([(q, t) for t in texts])]
        print(f"tokens per question + passage, {label}: mean {np.mean(lengths):.0f}, p95 {percentile(lengths, 95):.0f}")
    reference = scores["current (max 256 tokens, one text per run)"]
    print(f"{len(lists)} queries x 3 rounds, 20 candidates each, every candidate scored")
    print(f"{'variant':45s} {'p50 ms':>7s} {'p95 ms':>7s} {'max |score diff|':>17s} {'best passage same':>18s}")
    for name in variants:
        diff = max(float(np.abs(a - b).max()) for a, b in zip(scores[name], reference, strict=True))
        same = np.mean(  # by text: the synthetic copies repeat texts
            [t[a.argmax()] == t[b.argmax()] for (_, t), a, b in zip(lists, scores[name], reference, strict=True)]
        )
        p50, p95 = (percentile(seconds[name], q) * 1000 for q in (50, 95))
        print(f"{name:45s} {p50:7.0f} {p95:7.0f} {diff:17.3f} {same:17.0%}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
