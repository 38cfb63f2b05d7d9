"""Load client for tests/test_concurrency.py, run as its own process: N users of the app's ``/ask`` API.

``python tests/robust_load_client.py URL QUESTIONS_JSON TIMEOUT`` makes one ``gradio_client.Client`` per
question (one session each, like separate browser users), releases all of them at once with a barrier,
and prints one JSON list: per user ``{"ok", "latency", "answer" | "error"}``, latency in seconds from the
release to the answer.
"""

from __future__ import annotations

import json
import sys
import threading
import time


def main() -> int:
    from gradio_client import Client

    url, questions, timeout = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
    clients = [Client(url, verbose=False, analytics_enabled=False, download_files=False) for _ in questions]
    barrier = threading.Barrier(len(questions))
    results: list[dict | None] = [None] * len(questions)

    def user(i: int) -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            answer = clients[i].submit(questions[i], "[]", api_name="/ask").result(timeout=timeout)
            results[i] = {"ok": True, "latency": time.perf_counter() - started, "answer": answer}
        except Exception as exc:  # reported to the test, which fails on it
            results[i] = {
                "ok": False,
                "latency": time.perf_counter() - started,
                "error": f"{type(exc).__name__}: {exc}",
            }

    threads = [threading.Thread(target=user, args=(i,), name=f"user-{i}") for i in range(len(questions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 30)
    print(
        json.dumps([r or {"ok": False, "latency": None, "error": "no result (thread still running)"} for r in results])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
