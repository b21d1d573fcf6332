"""Answer submission against the quiz's SQLite store: 50 students (threads, as the
sessions of one Streamlit server are) submit to the same open question at the same
moment, question after question. Figures: the latency of each ``submit`` (p50, p95,
max), answers per second, and that every answer was stored exactly once."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.load import percentile

WRITERS = 50
QUESTIONS = 10


def bench_store(writers: int = WRITERS, questions: int = QUESTIONS) -> dict:
    from quiz.bank import load_bank
    from quiz.store import open_store

    ids = [q.id for q in load_bank().values() if q.kind == "single"][:questions]
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.sqlite3")
        session_id, code = store.create_session(ids)
        tokens = [store.join(code, f"student {i}") for i in range(writers)]
        latencies: list[float] = []
        stored: list[bool] = []
        lock = threading.Lock()
        start_line = threading.Barrier(writers + 1)

        def student(token: str) -> None:
            for question_id in ids:
                start_line.wait()  # every student taps at the same moment
                begin = time.perf_counter()
                ok = store.submit(token, question_id, "a")
                spent = time.perf_counter() - begin
                with lock:
                    latencies.append(spent)
                    stored.append(ok)
                start_line.wait()

        threads = [threading.Thread(target=student, args=(t,)) for t in tokens]
        for thread in threads:
            thread.start()
        busy = 0.0
        for question_id in ids:
            store.open_question(session_id, question_id)
            begin = time.perf_counter()
            start_line.wait()
            start_line.wait()  # every submit of this question has returned
            busy += time.perf_counter() - begin
        for thread in threads:
            thread.join()
        rows = store.answers(session_id)
        once = len({(r.player_id, r.question_id) for r in rows}) == len(rows)
        return {"writers": writers, "questions": len(ids), "answers": len(latencies),
                "stored": sum(stored), "rows": len(rows), "each_once": once,
                "submit_p50_ms": 1000 * statistics.median(latencies),
                "submit_p95_ms": 1000 * percentile(latencies, 95),
                "submit_max_ms": 1000 * max(latencies),
                "answers_per_s": len(latencies) / busy}
