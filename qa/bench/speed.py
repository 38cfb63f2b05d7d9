"""``qa bench speed``: ingestion, query latency, cold start and memory over four corpus sizes; writes
docs/benchmarks.md and a chart.

    qa bench speed                          # seed, reuters, 100k and server; 3 runs each (make bench)
    qa bench speed --sizes seed,reuters     # pick sizes: seed, reuters, 100k, server
    qa bench speed --quick                  # minutes: 300 Reuters articles, 20,000 passages, 1 run
    qa bench speed --report-only            # rewrite the docs from data/bench/results.json

Every measurement runs in a fresh subprocess (``qa.bench.workers``, started by ``qa.bench.measure.spawn``), so
model loading, imports and peak RSS belong to the thing measured. Figures are medians over ``--runs`` runs.
Sizes:

- ``seed``: the five articles in corpus/.
- ``reuters``: the 2,158 Reuters-21578 articles (``qa import reuters``, from Debian's weka package).
- ``100k``: the Reuters passages plus synthetic copies up to 100,000 passages, written straight into a
  Chroma collection (see ``qa.bench.synthetic`` and the generated report for exactly how).
- ``server``: the seed corpus again, through a ``chroma run`` server on 127.0.0.1 (QA_CHROMA_URL).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from index.offline import child_env
from qa.bench.errors import BenchError
from qa.bench.measure import (
    free_port,
    loadavg,
    machine_info,
    run_measured,
    say,
    spawn,
    spec_settings,
    stop_process,
)
from qa.bench.workers import bench_queries, reuters_items
from qa.settings import PROJECT_ROOT, Settings

SIZES = ("seed", "reuters", "100k", "server")
SEED_QUESTION = "How many American users does TikTok have?"


class Bench:
    """One run over the chosen sizes; ``results`` is saved after each size (``--merge`` keeps earlier sizes)."""

    def __init__(self, args, settings: Settings):
        self.args = args
        self.work = Path(args.work)
        self.runs = args.runs
        self.quick = args.quick
        self.settings = settings
        self.results: dict = {
            "command": command_line(args.name),
            "started": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            "machine": machine_info(),
            "loadavg_start": loadavg(),
            "quick": self.quick,
            "runs": self.runs,
            "sizes": {},
        }
        self.queries: list[str] = []  # set in run(), once the Reuters corpus is imported (its headlines are queries)
        path = self.results_path()
        if args.merge and path.exists():  # keep the other sizes of an earlier run, replace the ones run now
            earlier = json.loads(path.read_text())
            self.results["sizes"] = {k: v for k, v in earlier.get("sizes", {}).items() if k not in args.sizes}
            self.results["merged_from"] = earlier.get("command", "")
            self.results["command"] = f"{earlier.get('command', '')}; then {self.results['command']}"
            self.results["started"] = earlier.get("started", self.results["started"])
            self.results["loadavg_start"] = earlier.get("loadavg_start")
            self.results["seconds_earlier"] = earlier.get("seconds", 0) + earlier.get("seconds_earlier", 0)

    def results_path(self) -> Path:
        return self.work / ("results-quick.json" if self.quick else "results.json")

    # corpora ---------------------------------------------------------------------------------
    def reuters_corpus(self) -> Path:
        from qa.reuters import import_reuters

        full = Path(self.settings.data_dir) / "reuters" / "corpus"
        report = import_reuters(full, Path(self.settings.data_dir) / "cache")
        say(f"Reuters corpus: {report.summary()}")
        if not self.quick:
            return full
        subset = self.work / "quick" / "reuters-corpus"
        subset.mkdir(parents=True, exist_ok=True)
        wanted = sorted(p.name for p in full.glob("*.txt"))[: self.args.quick_articles]
        for stale in set(p.name for p in subset.glob("*.txt")) - set(wanted):
            (subset / stale).unlink()
        for name in wanted:
            source, target = full / name, subset / name
            if not target.exists() or target.read_bytes() != source.read_bytes():
                shutil.copyfile(source, target)
        return subset

    def _queries(self) -> list[str]:
        return bench_queries(Path(self.settings.data_dir), self.quick)

    # stages ----------------------------------------------------------------------------------
    def ingestion(self, key: str, corpus: Path, index: Path, chroma_url: str = "") -> dict:
        spec = {"corpus": str(corpus), "index": str(index), "chroma_url": chroma_url, "label": f"ingest {key}"}
        fresh, raw = [], []
        # A fresh Reuters ingestion takes minutes: once, unless asked; the small corpora every run.
        runs = self.args.ingest_runs or (1 if key == "reuters" else self.runs)
        for run in range(runs):
            say(f"{key}: fresh ingestion {run + 1}/{runs}")
            fresh.append(spawn("ingest", {**spec, "rebuild": True}))
            if fresh[-1]["skipped"]:
                say(f"{key}: skipped files: {fresh[-1]['skipped'][:5]}")
            if not chroma_url:
                say(f"{key}: raw embedding {run + 1}/{runs}")
                raw.append(spawn("raw_embed", spec))
        again = []
        for run in range(self.runs):
            say(f"{key}: unchanged re-ingestion {run + 1}/{self.runs}")
            again.append(spawn("ingest", {**spec, "rebuild": False, "progress": False, "warm_model": False}))
        cli = []
        data_dir = spec_settings(spec).data_dir
        self.ensure_query_encoder(key, spec)  # else the first `qa ingest` below would also export it
        env = child_env(
            QA_CORPUS_DIR=str(corpus), QA_INDEX_DIR=str(index), QA_DATA_DIR=str(data_dir), QA_CHROMA_URL=chroma_url
        )
        for run in range(self.runs):
            say(f"{key}: `qa ingest` (unchanged) {run + 1}/{self.runs}")
            result = run_measured([str(Path(sys.executable).parent / "qa"), "ingest"], env)
            result["summary"] = [line for line in result.pop("stdout").splitlines() if "unchanged" in line][-1:]
            cli.append(result)
        return {"fresh": fresh, "raw": raw, "reingest": again, "reingest_cli": cli}

    def ensure_query_encoder(self, key: str, spec: dict) -> dict | None:
        """The ONNX query encoder in this size's data folder (what `qa ingest` writes once per data folder)."""
        from index.query_encoder import is_current, query_encoder_path

        if is_current(query_encoder_path(spec_settings(spec).data_dir)):
            return None
        say(f"{key}: exporting the ONNX query encoder")
        return spawn("query_encoder", spec)

    def serving(self, key: str, corpus: Path | None, index: Path, chroma_url: str = "", eval_items=None) -> dict:
        first = SEED_QUESTION if key in ("seed", "server") else reuters_items()[0]["question"]
        spec = {
            "corpus": str(corpus) if corpus else "",
            "index": str(index),
            "chroma_url": chroma_url,
            "queries": self.queries,
            "runs": self.runs,
            "first_question": first,
            "eval_items": eval_items or [],
            "answer_queries": 5 if self.quick else 12,
        }
        data_dir = spec_settings(spec).data_dir
        exported = self.ensure_query_encoder(key, spec)
        say(f"{key}: serving ({len(self.queries)} queries x {self.runs} runs)")
        served = spawn("serve", spec)
        if key == "reuters" or (key == "100k" and "reuters" not in self.args.sizes):
            say(f"{key}: reranker settings")
            served["rerank_options"] = spawn("rerank", spec)["options"]
        cold = []
        env = child_env(QA_INDEX_DIR=str(index), QA_DATA_DIR=str(data_dir), QA_CHROMA_URL=chroma_url)
        if corpus:
            env["QA_CORPUS_DIR"] = str(corpus)
        for run in range(self.runs):
            say(f"{key}: `qa ask` cold start {run + 1}/{self.runs}")
            result = run_measured([str(Path(sys.executable).parent / "qa"), "ask", "--json", first], env)
            try:
                answer = json.loads(result.pop("stdout"))
                result["cited"] = [c["article_id"] for c in answer["citations"]]
            except (json.JSONDecodeError, KeyError):
                result["cited"] = []
            cold.append(result)
        return {"serve": served, "cold_cli": cold, "first_question": first, "query_encoder_export": exported}

    def synthetic(self, source_index: Path, total: int) -> dict:
        target = self.work / ("quick" if self.quick else "") / f"synthetic-{total}" / "index"
        marker = target / "synthetic.json"
        if marker.exists() and not self.args.rebuild_synthetic:
            info = json.loads(marker.read_text())
            from index.embed import Embedder
            from index.store import PassageStore

            settings = spec_settings({"index": source_index})
            same_source = PassageStore(settings, Embedder.name, Embedder.dim, create=False).count()
            if info.get("total") == total and info.get("source_count") == same_source:
                say(f"synthetic {total}: reusing {target} (--rebuild-synthetic to rebuild)")
                info["reused"] = True
                return {"index": str(target), "info": info}
        say(f"synthetic {total}: building {target}")
        info = spawn("synth", {"source_index": str(source_index), "target_index": str(target), "total": total})
        return {"index": str(target), "info": info}

    def chroma_server(self):
        path = self.work / "server" / "chroma"
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        port = free_port()
        log = open(self.work / "server" / "chroma.log", "wb")  # noqa: SIM115 - closed in stop_server
        binary = Path(sys.executable).parent / "chroma"
        process = subprocess.Popen(
            [str(binary if binary.exists() else "chroma"), "run", "--path", str(path), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=child_env(),
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        import urllib.request

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"chroma run exited with {process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    return process, log, url
            except OSError:
                time.sleep(0.25)
        process.terminate()
        raise BenchError("no heartbeat from the Chroma server within 60 s")

    @staticmethod
    def stop_server(process, log) -> float | None:
        peak = None
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
        except OSError:
            pass
        stop_process(process)
        log.close()
        return peak

    def run(self) -> dict:
        sizes = self.args.sizes
        started = time.time()
        reuters_corpus = self.reuters_corpus() if {"reuters", "100k"} & set(sizes) else None
        self.queries = self._queries()
        self.results["queries"] = len(self.queries)
        seed_corpus = PROJECT_ROOT / "corpus"
        prefix = self.work / ("quick" if self.quick else "")
        reuters_index = prefix / "reuters" / "index"
        for key in SIZES:
            if key not in sizes:
                continue
            entry: dict = {}
            if key == "seed":
                index = prefix / "seed" / "index"
                entry["corpus"] = str(seed_corpus)
                entry["ingestion"] = self.ingestion(key, seed_corpus, index)
                entry.update(self.serving(key, seed_corpus, index))
            elif key == "reuters":
                entry["corpus"] = str(reuters_corpus)
                entry["ingestion"] = self.ingestion(key, reuters_corpus, reuters_index)
                entry.update(
                    self.serving(key, reuters_corpus, reuters_index, eval_items=self._eval_items(reuters_corpus))
                )
            elif key == "100k":
                if "reuters" not in sizes:
                    say("100k: making sure the Reuters index is complete first")
                    done = spawn("ingest", {"corpus": str(reuters_corpus), "index": str(reuters_index)})
                    entry["source_ingest"] = done
                total = self.args.synthetic_total
                built = self.synthetic(reuters_index, total)
                entry["synthetic"] = built["info"]
                entry.update(self.serving(key, None, Path(built["index"]), eval_items=self._eval_items(reuters_corpus)))
            elif key == "server":
                process, log, url = self.chroma_server()
                try:
                    index = prefix / "server" / "index"
                    entry["chroma_url"] = url
                    entry["ingestion"] = self.ingestion(key, seed_corpus, index, chroma_url=url)
                    entry.update(self.serving(key, seed_corpus, index, chroma_url=url))
                finally:
                    entry["server_peak_rss_mb"] = self.stop_server(process, log)
            entry["measured_at"] = datetime.now().astimezone().isoformat(timespec="minutes")
            entry["loadavg"] = loadavg()
            self.results["sizes"][key] = entry
            self.save()
        self.results["seconds"] = time.time() - started
        self.results["loadavg_end"] = loadavg()
        self.save()
        return self.results

    def _eval_items(self, corpus: Path | None = None) -> list[dict]:
        """The Reuters eval items; with a corpus subset (--quick), only those it can answer (and refusals)."""
        items = reuters_items()
        if not self.quick or corpus is None:
            return items
        present = {p.stem for p in corpus.glob("*.txt")}
        return [i for i in items if not i["article_ids"] or set(i["article_ids"]) & present]

    def save(self) -> None:
        path = self.results_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.results, indent=1, default=str))


def command_line(name: str) -> str:
    """``qa bench NAME`` and the options it was given, for the report (the same from ``python -m qa.bench``)."""
    argv = sys.argv[1:]
    options = argv[argv.index(name) + 1 :] if name in argv else []
    return " ".join(["qa bench", name, *options])


def main(args, settings: Settings) -> int:
    """``qa bench speed [--sizes ...] [--quick] [--report-only] ...``."""
    from qa.bench.speed_report import write_report

    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown:
        print(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(SIZES)}", file=sys.stderr)
        return 2
    args.runs = args.runs or (1 if args.quick else 3)
    args.synthetic_total = args.synthetic_total or (20_000 if args.quick else 100_000)
    out, chart_path = Path(args.out), Path(args.chart)
    if args.report_only:
        path = Path(args.work) / ("results-quick.json" if args.quick else "results.json")
        write_report(json.loads(path.read_text()), out, chart_path)
        return 0
    from qa.importers import ImporterError

    try:
        results = Bench(args, settings).run()
    except (BenchError, ImporterError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    write_report(results, out, chart_path)
    return 0
