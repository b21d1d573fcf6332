"""`python -m bench.load`: how many students one Streamlit server holds.

A Streamlit server runs every session's script in its one Python process, so the server
CPU that one rerun costs decides the size of a class one server can take. This harness
simulates a classroom without a browser: N students, each a websocket speaking
Streamlit's own protocol (bench/_ws.py), open a page with a lesson link's query string,
then every 5-15 s (seeded) move one random control of the page's main area to another
valid value and wait for the rerun to finish, as a student trying the lesson does.

A control drawn inside an ``@st.fragment`` reruns only that fragment, as in a browser:
the harness learns each widget's fragment from the ``Delta.fragment_id`` that drew it,
sends ``rerun_script`` with ``ClientState.fragment_id`` set (and every widget state, as
the frontend does), waits for ``script_finished`` = FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
and replaces only that fragment's part of the student's page (bench/_ws.py). A control
outside every fragment reruns the whole script, which replaces the whole page.

Per scenario (page x number of students) it reports the rerun latency (send to
``script_finished``: p50, p95, max) over every rerun a student waited for, full and
fragment alike, and then separately the count, p50 and p95 of full and of fragment
reruns; the errors (an ``exception`` element in a run, a run that fails, or one not
finished within 30 s), the server's RSS at the start, at its peak (sampled every 0.2 s)
and 10 s after every student left, RSS growth per student, and the server CPU seconds
per script run (utime+stime of the server process over the scenario / every run it did:
initial page loads, full reruns and fragment reruns; the split of those runs into full
and fragment ones is reported next to it, so a reader can see the mix).
Figures go to the "load" key of bench/results.json (the rest of the file is kept).

``--quiz`` measures the Quiz page's student view instead (page "quiz-student"): a room
of students (60 by default) on their seats, ``/quiz?lang=en&quiz=<player token>``, in
one classroom session. Before they arrive the harness opens the app's store on the
server's database (a fresh file: the server runs with QUANTLAB_DB pointing at it, and a
QUANTLAB_TEACHER_KEY), creates a session of 8 single-choice bank questions (seeded) and
joins every student (``store.join``). A teacher coroutine then drives the session
through the store: it opens the next question 8 s in and every 20 s after, and closes
each 15 s after opening it. Each student's page polls as a browser's does: the page's
``@st.fragment(run_every=2)`` registers a timer (``auto_rerun``), and at every tick the
student sends a fragment rerun of it (timed; when the fragment sees the session changed
it calls ``st.rerun(scope="app")``, and the tick ends as the full run the server starts,
timed and counted as a full rerun). When the page shows a question's form with nothing
chosen, the student thinks 3-10 s (seeded; --think-min/--think-max), chooses a random
option and clicks the form's submit button (a full rerun; the page stores the answer
and calls ``st.rerun()``, whose run shows "Saved."). After the room empties, the store
must hold exactly one answer row per question each student submitted (none where the
click came after the teacher closed it: the app refuses those), and none they did not:
a mismatch counts as an error. The figures are those of a page scenario, plus the
answers clicked, stored and shown as saved, the polls and how many became full runs,
and the teacher's timeline; they go to "load" -> "quiz" (the page scenarios stay). Runs
that the script's own ``st.rerun()`` starts count in the server's script runs (the
server does them, and logs them) and in CPU s per run.

Run it from the repo root:

    python -m bench.load                                  # every page, 40 students, 120 s
    python -m bench.load --pages home,uniform --students 5 --duration 40 --verify-log
    python -m bench.load --pages uniform --students 10,40,80 --query "ws_rows=4096&ws_cols=4096"
    python -m bench.load --pages uniform --sweep u_bits,u_gran --query "ws_rows=1024"
    python -m bench.load --url http://127.0.0.1:8501 --pid 1234      # a running server
    python -m bench.load --quiz --students 60 --duration 120       # a quiz room

It starts ``streamlit run app.py`` itself (in --app-dir, the repo root by default, so
that the production .streamlit/config.toml applies) on a free loopback port and stops it
at the end, with a fresh quiz database (never the checkout's data/). ``--verify-log``
starts it with debug logging and checks that the server logged exactly as many script
runs as the harness counted: Streamlit logs "Running script" at the top of every run of
ScriptRunner._run_script, fragment runs included, so both sides count every
rerun_script the server got (page loads, full and fragment reruns) and every run that a
script's st.rerun() started. ``--sweep`` measures memory instead: one student steps
through every value of the named controls.
Timings depend on what else the machine is doing: the harness itself shares the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import random
import resource
import secrets
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import streamlit
from websockets.exceptions import InvalidHandshake, InvalidStatus

from bench._server import AppServer, RssSampler, ServerError, cpu_seconds, rss_mb
from bench._ws import TIMED_OUT, AppPage, PageClient, RunResult, Widget
from quiz import access
from quiz.bank import load_bank
from quiz.store import ENV_VAR as DB_ENV_VAR
from quiz.store import Store, open_store
from ui.i18n import catalogue

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results.json")
RESULTS_KEY = "load"
# Lesson links always name the language; a student's URL starts with it.
BASE_QUERY = "lang=en"
DEFAULT_STUDENTS = "40"
DEFAULT_DURATION_S = 120.0
THINK_MIN_S, THINK_MAX_S = 5.0, 15.0
RUN_TIMEOUT_S = 30.0
STAGGER_S = 5.0  # students arrive over the first seconds, not all in the same instant
SETTLE_AFTER_S = 10.0  # wait after the last student left before the "after" RSS sample
IDLE_SAMPLE_S = 10.0  # --sweep: RSS sampled this often while the server idles
DEFAULT_IDLE_S = 60.0
PERCENTILES = (50, 95)
MAX_ERROR_SAMPLES = 5
DEFAULT_PAGE_ALIASES = ("", "/", "home")
CONNECT_ERRORS = (OSError, InvalidHandshake, InvalidStatus, TimeoutError)
# --quiz: a classroom session of the Quiz page, its students on their seats.
QUIZ_PAGE = "quiz"  # the page's URL path
QUIZ_LABEL = "quiz-student"  # its name in the figures: the students' view of it
QUIZ_STUDENTS = "60"
QUIZ_QUESTIONS = 8  # drawn (seeded) from the bank's single-choice questions
QUIZ_KIND = "single"
QUIZ_THINK_MIN_S, QUIZ_THINK_MAX_S = 3.0, 10.0  # from seeing a question to submitting
FIRST_OPEN_S = STAGGER_S + 3.0  # every student has arrived by then
OPEN_EVERY_S = 20.0  # the teacher opens the next question this often
OPEN_FOR_S = 15.0  # and closes it this long after opening it
SEAT_PARAM = "quiz"  # a student's seat: /quiz?quiz=<player token>
SAVED_KEY = "q.student.saved"  # the page's "Saved. Your answer: ..." (ui/locales)
SUCCESS_ALERT = "SUCCESS"
TICK_EPS = 1e-9


# --- figures ------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (no interpolation: every figure is a measured run)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats
    return ordered[int(rank) - 1]


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Tally:
    """What the students of one scenario saw."""

    latencies: list[float] = field(default_factory=list)  # every rerun timed
    full_latencies: list[float] = field(default_factory=list)  # of which full reruns
    fragment_latencies: list[float] = field(default_factory=list)  # and fragment reruns
    load_latencies: list[float] = field(default_factory=list)
    runs_sent: int = 0  # every rerun_script the server got: initial loads and reruns
    fragment_runs_sent: int = 0  # of which fragment reruns
    server_reruns: int = 0  # runs the server started for the script's st.rerun()
    server_fragment_reruns: int = 0  # of which fragment runs
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    outputs_changed: int = 0
    cache_refs: int = 0  # big elements the server sent as ref_hash: the message cache works
    no_control: int = 0
    moves: Counter = field(default_factory=Counter)
    fragment_moves: Counter = field(default_factory=Counter)  # moves that reran a fragment
    landings: Counter = field(default_factory=Counter)
    example: dict | None = None

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] += 1
        if detail and len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(f"{kind}: {detail}")

    def timed(self, result: RunResult) -> None:
        """A rerun that finished cleanly: its latency, in the total and in its kind."""
        self.latencies.append(result.latency_s)
        (self.fragment_latencies if result.is_fragment
         else self.full_latencies).append(result.latency_s)

    def run_error(self, result: RunResult) -> None:
        """One error for a run that failed, timed out, or drew an exception."""
        if not result.ok:
            self.error(result.reason or "failed")
        else:
            self.error("exception", result.exceptions[0])

    def count_runs(self, client: PageClient) -> None:
        """A student left: add the runs its tab caused (sent, and started by st.rerun())."""
        self.cache_refs += client.refs_resolved
        self.runs_sent += client.runs_sent
        self.fragment_runs_sent += client.fragment_runs_sent
        self.server_reruns += client.server_reruns
        self.server_fragment_reruns += client.server_fragment_reruns

    @property
    def script_runs(self) -> int:
        """Every script run the students caused: what the server's CPU paid for."""
        return self.runs_sent + self.server_reruns

    @property
    def fragment_runs(self) -> int:
        return self.fragment_runs_sent + self.server_fragment_reruns


@dataclass
class Scenario:
    """One page x number of students, and everything its students share."""

    url: str
    page: AppPage
    students: int
    query: str
    duration_s: float
    think: tuple[float, float]
    seed: int
    tally: Tally = field(default_factory=Tally)

    @property
    def label(self) -> str:
        return f"{self.page.name} x {self.students}"


# --- one student --------------------------------------------------------------------


#: Control keys the students leave alone (``--hold``): a lesson that keeps, say, the sizes.
HELD: frozenset[str] = frozenset()


def _held(widget: Widget) -> bool:
    """The widget's control is held (its key is the control's key and "@language")."""
    return bool(widget.key) and widget.key.split("@")[0] in HELD


def movable_controls(client: PageClient) -> list[Widget]:
    """Controls of the page's main area a student can move (not the sidebar, not held)."""
    return [w for w in client.widgets.values() if w.main and w.movable and not _held(w)]


async def load_page(tally: Tally, page: AppPage, client: PageClient) -> RunResult:
    """The first run: the page as a student's browser opens it."""
    result = await client.rerun(RUN_TIMEOUT_S)
    if not result.clean:
        tally.run_error(result)
        return result
    tally.load_latencies.append(result.latency_s)
    landed = client.page_script_hash == page.page_script_hash and not client.page_not_found
    if not landed:
        tally.error("wrong page", f"landed on {client.title!r} ({client.page_script_hash})")
    tally.landings[(client.title, len(client.widgets), len(movable_controls(client)),
                    landed)] += 1
    return result


async def move_one_control(tally: Tally, client: PageClient, rng: random.Random,
                           before: RunResult) -> RunResult | None:
    """Move one random main-area control to another value and time the rerun (of its
    fragment only, if it lives in one)."""
    controls = movable_controls(client)
    if not controls:
        tally.no_control += 1
        return None
    widget = rng.choice(controls)
    old = widget.shown()
    result = await client.change({widget.id: widget.other_value(rng)}, RUN_TIMEOUT_S)
    if not result.clean:
        tally.run_error(result)
        return result
    tally.timed(result)
    tally.moves[widget.key or widget.label] += 1
    if result.is_fragment:
        tally.fragment_moves[widget.key or widget.label] += 1
    if result.digest != before.digest:
        tally.outputs_changed += 1
    note_example(tally, widget, old, before, result)
    return result


def note_example(tally: Tally, widget: Widget, old: str, before: RunResult,
                 after: RunResult) -> None:
    """Keep the first move that changed a metric: evidence that the page recomputed."""
    changed = {k: (before.metrics[k], v) for k, v in after.metrics.items()
               if k in before.metrics and before.metrics[k] != v}
    if changed and tally.example is None:
        tally.example = {"control": widget.key or widget.label, "from": old,
                         "to": widget.shown(), "metrics": changed}


@contextlib.asynccontextmanager
async def arrive(sc, rng: random.Random, query: str):
    """A student arrives (staggered), connects and, at the end, leaves: yields the client
    and the student's deadline, or None when the connection failed (counted)."""
    await asyncio.sleep(rng.uniform(0.0, STAGGER_S))
    deadline = time.monotonic() + sc.duration_s
    client = PageClient(sc.url, sc.page.url_pathname, query)
    try:
        await client.connect()
    except CONNECT_ERRORS as err:
        sc.tally.error("connect", repr(err))
        yield None
        return
    try:
        yield client, deadline
    finally:
        sc.tally.count_runs(client)
        await client.close()


async def student(sc: Scenario, index: int) -> None:
    """One student: arrive, open the page, then try controls until the time is up."""
    rng = random.Random(f"{sc.seed}:{sc.page.name}:{sc.students}:{index}")
    async with arrive(sc, rng, sc.query) as seat:
        if seat is None:
            return
        client, deadline = seat
        last = await load_page(sc.tally, sc.page, client)
        while True:
            think = rng.uniform(*sc.think)
            if time.monotonic() + think > deadline:
                break
            await asyncio.sleep(think)
            result = await move_one_control(sc.tally, client, rng, last)
            if result is not None and result.clean:
                last = result
            elif result is not None and not result.ok and result.reason != TIMED_OUT:
                break  # the connection is gone (or the server hangs): this student leaves


# --- one scenario -------------------------------------------------------------------


@dataclass
class Probe:
    """The server's process and log, for the figures the students cannot see."""

    pid: int | None
    server: AppServer | None  # None when the harness did not start the server

    def log_offset(self) -> int | None:
        return self.server.log_size() if self.server and self.server.debug_log else None

    def logged_runs(self, since: int | None) -> int | None:
        return None if since is None else self.server.count_runs_in_log(since)


async def measure(probe: Probe, work: Callable[[], Awaitable[None]]) -> dict:
    """Run ``work`` (a coroutine function) and take the server's figures around it."""
    sampler = RssSampler(probe.pid)
    log_start = probe.log_offset()
    rss_start, cpu_start = rss_mb(probe.pid), cpu_seconds(probe.pid)
    own_start = resource.getrusage(resource.RUSAGE_SELF)
    sampler.start()
    started = time.perf_counter()
    await work()
    wall = time.perf_counter() - started
    cpu_end = cpu_seconds(probe.pid)
    peak = await sampler.stop()
    own_end = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.sleep(SETTLE_AFTER_S)
    cpu_idle = cpu_seconds(probe.pid)
    return {
        "wall_s": wall, "rss_start_mb": rss_start, "rss_peak_mb": peak,
        "rss_after_mb": rss_mb(probe.pid),
        "server_cpu_s": None if cpu_start is None else cpu_end - cpu_start,
        # CPU the server burns with nobody running anything: the noise floor of the above.
        "server_idle_cpu_s_per_s": None if cpu_idle is None
        else (cpu_idle - cpu_end) / SETTLE_AFTER_S,
        "harness_cpu_s": (own_end.ru_utime + own_end.ru_stime
                          - own_start.ru_utime - own_start.ru_stime),
        "logged_runs": probe.logged_runs(log_start),
    }


async def run_scenario(sc: Scenario, probe: Probe) -> dict:
    print(f"\n== {sc.label} students, {sc.duration_s:.0f} s, page /{sc.page.url_pathname}"
          f"?{sc.query}", flush=True)

    async def classroom() -> None:
        await asyncio.gather(*(student(sc, i) for i in range(sc.students)))

    server = await measure(probe, classroom)
    return scenario_figures(sc, server)


def scenario_figures(sc: Scenario, server: dict) -> dict:
    t = sc.tally
    return {
        **run_figures(sc.page.name, sc.students, sc.query, t, server),
        "outputs_changed": t.outputs_changed, "cache_refs_resolved": t.cache_refs,
        "no_control_to_move": t.no_control,
        "moves": dict(t.moves.most_common()),
        "fragment_moves": dict(t.fragment_moves.most_common()),
        "landed": landed_figures(t),
        "example_change": t.example,
        "log_check": log_check(server["logged_runs"], t.script_runs),
    }


def run_figures(page: str, students: int, query: str, t: Tally, server: dict) -> dict:
    """What every scenario reports: latencies (all, full, fragment), errors, script runs,
    server CPU and memory."""
    cpu = server["server_cpu_s"]
    growth = (None if server["rss_peak_mb"] is None
              else (server["rss_peak_mb"] - server["rss_start_mb"]) / students)
    return {
        "page": page, "students": students, "query": query,
        "reruns": len(t.latencies),
        **{f"p{p}_s": rounded(percentile(t.latencies, p)) for p in PERCENTILES},
        "max_s": rounded(max(t.latencies, default=None)),
        "reruns_full": len(t.full_latencies),
        **{f"full_p{p}_s": rounded(percentile(t.full_latencies, p)) for p in PERCENTILES},
        "reruns_fragment": len(t.fragment_latencies),
        **{f"fragment_p{p}_s": rounded(percentile(t.fragment_latencies, p))
           for p in PERCENTILES},
        "errors": sum(t.errors.values()), "errors_by_kind": dict(t.errors),
        "error_samples": t.error_samples,
        "initial_loads": len(t.load_latencies),
        "load_p50_s": rounded(percentile(t.load_latencies, 50)),
        "load_max_s": rounded(max(t.load_latencies, default=None)),
        "script_runs": t.script_runs,
        "script_runs_full": t.script_runs - t.fragment_runs,  # page loads included
        "script_runs_fragment": t.fragment_runs,
        "script_runs_by_st_rerun": t.server_reruns,  # included above: the server's own
        "server_cpu_s": rounded(cpu),
        "server_idle_cpu_s_per_s": rounded(server["server_idle_cpu_s_per_s"], 4),
        "cpu_s_per_run": rounded(cpu / t.script_runs if cpu is not None and t.script_runs
                                 else None, 4),
        "rss_start_mb": rounded(server["rss_start_mb"], 1),
        "rss_peak_mb": rounded(server["rss_peak_mb"], 1),
        "rss_after_mb": rounded(server["rss_after_mb"], 1),
        "rss_growth_per_student_mb": rounded(growth, 2),
        "wall_s": rounded(server["wall_s"], 1),
        "harness_cpu_s": rounded(server["harness_cpu_s"], 1),
    }


def landed_figures(t: Tally) -> list[dict]:
    return [{"title": title, "widgets": n, "movable_main": m, "right_page": ok,
             "students": count}
            for (title, n, m, ok), count in t.landings.items()]


def log_check(logged: int | None, counted: int) -> dict | None:
    if logged is None:
        return None
    return {"server_logged_runs": logged, "harness_runs": counted, "agree": logged == counted}


# --- the quiz room ------------------------------------------------------------------


@dataclass
class QuizSession:
    """A classroom session made through the app's store, on the server's database."""

    store: Store
    session_id: int
    join_code: str
    question_ids: list[str]
    tokens: list[str]  # the students' seats: nicknames s0, s1, ... in this order


def open_session(db: Path, students: int, seed: int, prefix: str = "s") -> QuizSession:
    """A new session of QUIZ_QUESTIONS single-choice bank questions (seeded), and a seat
    for each student (``store.join``, as the join form does)."""
    store = open_store(db)
    bank = sorted(qid for qid, q in load_bank().items() if q.kind == QUIZ_KIND)
    ids = random.Random(f"{seed}:{QUIZ_LABEL}").sample(bank, min(QUIZ_QUESTIONS, len(bank)))
    session_id, code = store.create_session(ids)
    tokens = [store.join(code, f"{prefix}{i}") for i in range(students)]
    return QuizSession(store, session_id, code, ids, tokens)


def seat_query(query: str, token: str) -> str:
    """A student's query string: the lesson link's, and the seat."""
    return urlencode([*parse_qsl(query, keep_blank_values=True), (SEAT_PARAM, token)])


@dataclass
class Click:
    """One student's submit of one question's form."""

    student: int
    question_id: str
    sent_s: float  # seconds into the classroom
    done_s: float
    ok: bool  # the run finished cleanly
    saved_shown: bool  # the page then said "Saved." (the app's SAVED_KEY text)


@dataclass
class QuizScenario:
    """One quiz room: a session, its students, the teacher's timeline, what they saw."""

    url: str
    page: AppPage
    session: QuizSession
    query: str  # every student's query string, but the seat
    duration_s: float
    think: tuple[float, float]
    seed: int
    saved_prefix: str  # how the page's "Saved." message starts, in the students' language
    tally: Tally = field(default_factory=Tally)
    started: float = 0.0  # time.monotonic() when the students set off
    timeline: dict[str, list[float | None]] = field(default_factory=dict)  # [opened, closed]
    clicks: list[Click] = field(default_factory=list)
    polls: int = 0  # run_every ticks sent (timed, clean or not)
    # The full reruns, apart: ticks that the fragment's st.rerun(scope="app") made full
    # runs (a question opened or closed), and submits.
    promoted_latencies: list[float] = field(default_factory=list)
    submit_latencies: list[float] = field(default_factory=list)
    intervals: set[float] = field(default_factory=set)  # run_every intervals registered

    @property
    def students(self) -> int:
        return len(self.session.tokens)

    def now_s(self) -> float:
        return time.monotonic() - self.started

    def question_of(self, form_id: str) -> str | None:
        """The session's question a form answers (the page keys its form by the id)."""
        return next((q for q in self.session.question_ids if form_id.endswith(q)), None)

    def closed_by(self, question_id: str, at_s: float) -> bool:
        closed = self.timeline.get(question_id, [None, None])[1]
        return closed is not None and closed <= at_s


async def teacher(sc: QuizScenario) -> None:
    """The teacher, through the store as the teacher's page does: open the next question
    every OPEN_EVERY_S (from FIRST_OPEN_S), close it OPEN_FOR_S later, until the
    questions run out or the room empties (the task is then cancelled)."""
    store, session_id = sc.session.store, sc.session.session_id
    for k, question_id in enumerate(sc.session.question_ids):
        await asyncio.sleep(max(0.0, FIRST_OPEN_S + k * OPEN_EVERY_S - sc.now_s()))
        await asyncio.to_thread(store.open_question, session_id, question_id)
        sc.timeline[question_id] = [round(sc.now_s(), 2), None]  # visible from now on
        await asyncio.sleep(OPEN_FOR_S)
        closing = round(sc.now_s(), 2)  # refused from the moment the write may land
        await asyncio.to_thread(store.close_question, session_id, question_id)
        sc.timeline[question_id][1] = closing


@dataclass
class TickClock:
    """When a student's browser ticks its run_every timers: at ``since + k * interval``,
    as setInterval does. Ticks that fell while a run was under way collapse into one,
    sent when it ends (the server too would queue them behind that run, and run the
    fragment once)."""

    done: dict[str, float] = field(default_factory=dict)  # fragment -> last tick taken

    def next(self, client: PageClient) -> tuple[str, float] | None:
        """The fragment whose tick comes first, and when (time.monotonic())."""
        best = None
        for fragment_id, interval in client.auto_reruns.items():
            if interval <= 0:
                continue  # the frontend arms no timer for it
            since = client.auto_rerun_since[fragment_id]
            last = max(self.done.get(fragment_id, since), since)
            due = since + (math.floor((last - since) / interval + TICK_EPS) + 1) * interval
            if best is None or due < best[1]:
                best = (fragment_id, due)
        return best

    def take(self, client: PageClient, fragment_id: str, now: float) -> None:
        """The tick is sent at ``now``: every tick of that timer due by then is spent."""
        since, interval = client.auto_rerun_since[fragment_id], client.auto_reruns[fragment_id]
        self.done = {f: t for f, t in self.done.items() if f in client.auto_reruns}
        self.done[fragment_id] = since + math.floor((now - since) / interval + TICK_EPS) * interval


def open_form(client: PageClient, answered: set[str]) -> tuple[Widget, Widget] | None:
    """An unanswered question on the page: a form's radio with nothing chosen, and the
    form's submit button (a form this student has not submitted yet)."""
    for button in client.widgets.values():
        if not (button.form_submitter and button.clickable and button.main
                and button.form_id not in answered):
            continue
        radio = next((w for w in client.widgets.values() if w.kind == "radio"
                      and w.form_id == button.form_id and w.value is None
                      and not w.disabled and w.options), None)
        if radio is not None:
            return radio, button
    return None


async def poll(sc: QuizScenario, client: PageClient, fragment_id: str) -> RunResult:
    """A run_every tick: the fragment reruns; if it saw the session change it reruns the
    whole page (st.rerun(scope="app")), and the tick counts as that full run."""
    result = await client.tick(fragment_id, RUN_TIMEOUT_S)
    sc.polls += 1
    if not result.clean:
        sc.tally.run_error(result)
        return result
    sc.tally.timed(result)
    if result.promoted:
        sc.promoted_latencies.append(result.latency_s)
    return result


async def submit_answer(sc: QuizScenario, client: PageClient, rng: random.Random,
                        index: int, form: tuple[Widget, Widget]) -> RunResult:
    """Choose a random option and click the form's submit button (a full rerun; the
    page stores the answer and calls st.rerun(), whose run shows "Saved.")."""
    radio, button = form
    question_id = sc.question_of(button.form_id)
    if question_id is None:
        sc.tally.error("unknown form", button.form_id)
    sent = sc.now_s()
    result = await client.click(button.id, RUN_TIMEOUT_S, {radio.id: rng.choice(radio.options)})
    saved = any(kind == SUCCESS_ALERT and body.startswith(sc.saved_prefix)
                for kind, body in result.alerts)
    sc.clicks.append(Click(index, question_id or button.form_id, round(sent, 2),
                           round(sc.now_s(), 2), result.clean, saved))
    if not result.clean:
        sc.tally.run_error(result)
        return result
    sc.tally.timed(result)
    sc.submit_latencies.append(result.latency_s)
    still = open_form(client, set())
    if still is not None and still[1].form_id == button.form_id:
        sc.tally.error("form still open after submit", f"s{index} {question_id}")
    return result


async def quiz_student(sc: QuizScenario, index: int) -> None:
    """One student: arrive, open the seat's page, then until the time is up let the
    page's run_every timer poll, and answer each question that opens after thinking."""
    rng = random.Random(f"{sc.seed}:{QUIZ_LABEL}:{sc.students}:{index}")
    async with arrive(sc, rng, seat_query(sc.query, sc.session.tokens[index])) as seat:
        if seat is None:
            return
        client, deadline = seat
        result = await load_page(sc.tally, sc.page, client)
        clock, answered, plan = TickClock(), set(), None  # plan: (form id, when)
        while result.ok or result.reason == TIMED_OUT:
            sc.intervals.update(client.auto_reruns.values())
            form = open_form(client, answered)
            if form is None:
                plan = None
            elif plan is None or plan[0] != form[1].form_id:
                plan = (form[1].form_id, time.monotonic() + rng.uniform(*sc.think))
            tick = clock.next(client)
            due = min([t for _, t in filter(None, (plan, tick))], default=None)
            if due is None or due > deadline:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if plan is not None and due == plan[1]:
                answered.add(plan[0])
                plan = None
                result = await submit_answer(sc, client, rng, index, form)
            else:
                clock.take(client, tick[0], time.monotonic())
                result = await poll(sc, client, tick[0])


def check_answers(sc: QuizScenario) -> dict:
    """The store against the clicks: one answer row per question a student submitted
    (unless the click came after the teacher had closed it: the app refuses those), and
    none for a question they did not. A mismatch counts as an error."""
    players = {sc.session.store.player(token).id: i
               for i, token in enumerate(sc.session.tokens)}
    stored = Counter((players.get(row.player_id), row.question_id)
                     for row in sc.session.store.answers(sc.session.session_id))
    clicked = {(c.student, c.question_id): c for c in sc.clicks}
    late = saved_shown = 0
    for key, click in clicked.items():
        rows = stored.get(key, 0)
        saved_shown += click.saved_shown
        if rows == 0 and sc.closed_by(click.question_id, click.done_s):
            late += 1  # closed before the click's run ended: the app refuses it
        elif rows == 0:
            sc.tally.error("answer not stored", f"s{key[0]} {key[1]} at {click.sent_s} s, "
                           f"question open {sc.timeline.get(key[1])}")
        elif rows > 1:
            sc.tally.error("duplicate answer rows", f"s{key[0]} {key[1]}: {rows}")
        elif not click.saved_shown and click.ok and not sc.closed_by(key[1], click.done_s):
            sc.tally.error("no 'Saved.' after a stored answer", f"s{key[0]} {key[1]}")
    for key in stored.keys() - clicked.keys():
        sc.tally.error("answer stored without a click", f"s{key[0]} {key[1]}")
    return {"answers_clicked": len(sc.clicks), "answers_stored": sum(stored.values()),
            "answers_late": late, "answers_saved_shown": saved_shown}


async def run_quiz(sc: QuizScenario, probe: Probe) -> dict:
    print(f"\n== {QUIZ_LABEL} x {sc.students} students, {sc.duration_s:.0f} s, page "
          f"/{sc.page.url_pathname}?{sc.query}&{SEAT_PARAM}=<seat>, session "
          f"{sc.session.join_code} of {len(sc.session.question_ids)} questions", flush=True)

    async def classroom() -> None:
        sc.started = time.monotonic()
        teaching = asyncio.create_task(teacher(sc))
        try:
            await asyncio.gather(*(quiz_student(sc, i) for i in range(sc.students)))
        finally:
            teaching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await teaching
                except Exception as err:  # the store refused: the room ran without a teacher
                    sc.tally.error("teacher", repr(err))

    server = await measure(probe, classroom)
    answers = check_answers(sc)
    return quiz_figures(sc, server, answers)


def quiz_figures(sc: QuizScenario, server: dict, answers: dict) -> dict:
    t = sc.tally
    return {
        **run_figures(QUIZ_LABEL, sc.students, f"{sc.query}&{SEAT_PARAM}=<seat>", t, server),
        "questions": len(sc.session.question_ids),
        "questions_opened": len(sc.timeline),
        "poll_interval_s": sorted(sc.intervals),
        "polls": sc.polls, "polls_promoted": len(sc.promoted_latencies),
        **{f"polls_promoted_p{p}_s": rounded(percentile(sc.promoted_latencies, p))
           for p in PERCENTILES},
        **answers,
        **{f"submit_p{p}_s": rounded(percentile(sc.submit_latencies, p))
           for p in PERCENTILES},
        "cache_refs_resolved": t.cache_refs,
        "timeline": sc.timeline,
        "landed": landed_figures(t),
        "log_check": log_check(server["logged_runs"], t.script_runs),
    }


def print_quiz_details(r: dict) -> None:
    print_landed(r)
    print_reruns(r, f"; {r['polls']} polls")
    print(f"  full reruns: {r['polls_promoted']} polls that saw the session change "
          f"(p50 {fmt(r['polls_promoted_p50_s'])} s, p95 {fmt(r['polls_promoted_p95_s'])} s), "
          f"{r['answers_clicked']} submits (p50 {fmt(r['submit_p50_s'])} s, "
          f"p95 {fmt(r['submit_p95_s'])} s)")
    print(f"  {r['questions_opened']}/{r['questions']} questions opened "
          f"(polled every {r['poll_interval_s']} s); answers: {r['answers_clicked']} "
          f"submitted, {r['answers_stored']} stored, {r['answers_late']} too late, "
          f"{r['answers_saved_shown']} showed 'Saved.'")
    print_costs(r)


# --- the memory sweep ---------------------------------------------------------------


def widget_by_key(client: PageClient, key: str) -> Widget | None:
    return next((w for w in client.widgets.values() if w.key == key), None)


def sweep_plan(client: PageClient, keys: list[str]) -> list[dict]:
    """Every combination of the controls' values; the first key varies fastest."""
    lists = []
    for key in keys:
        widget = widget_by_key(client, key)
        if widget is None:
            raise SystemExit(f"--sweep: no control {key!r} on the page; there are "
                             f"{sorted(w.key for w in client.widgets.values() if w.key)}")
        try:
            lists.append(widget.all_values())
        except ValueError as err:
            raise SystemExit(f"--sweep: {err}") from err
    return [dict(zip(reversed(keys), combo, strict=True))
            for combo in itertools.product(*reversed(lists))]


async def sweep_step(client: PageClient, chosen: dict, tally: Tally, pid: int | None) -> dict:
    """Set the controls (a control may vanish with another's value), rerun, note RSS."""
    before = client.last
    missing = [key for key in chosen if widget_by_key(client, key) is None]
    result = await client.change({widget_by_key(client, key).id: value
                                  for key, value in chosen.items() if key not in missing},
                                 RUN_TIMEOUT_S)
    shown = {}
    for key in reversed(chosen):  # back in --sweep order
        widget = widget_by_key(client, key)
        shown[key] = widget.shown() if widget else None
    if missing:
        tally.error("control missing", f"{missing} at {shown}")
    if result.clean:
        tally.timed(result)
    else:
        tally.run_error(result)
    rss = rss_mb(pid)
    changed = before is None or result.digest != before.digest
    print(f"  {' '.join(f'{k}={v}' for k, v in shown.items())}: "
          f"{result.latency_s:.2f} s{' (fragment)' if result.is_fragment else ''}"
          f"{'' if result.clean else ' ERROR'}"
          f"{'' if changed else ' (same output as the step before)'}"
          f"{'' if rss is None else f', RSS {rss:.0f} MB'}", flush=True)
    return {"values": shown, "ok": result.clean, "output_changed": changed,
            "fragment": result.is_fragment, "latency_s": rounded(result.latency_s),
            "rss_mb": rounded(rss, 1)}


async def run_sweep(url: str, page: AppPage, query: str, keys: list[str], idle_s: float,
                    probe: Probe) -> dict:
    print(f"\n== sweep {','.join(keys)} on /{page.url_pathname}?{query}", flush=True)
    tally, steps = Tally(), []
    client = PageClient(url, page.url_pathname, query)

    async def one_student() -> None:
        await client.connect()
        try:
            await load_page(tally, page, client)
            for chosen in sweep_plan(client, keys):
                steps.append(await sweep_step(client, chosen, tally, probe.pid))
        finally:
            tally.count_runs(client)
            await client.close()

    sampler = RssSampler(probe.pid)
    log_start = probe.log_offset()
    rss_start = rss_mb(probe.pid)
    sampler.start()
    await one_student()
    peak = await sampler.stop()
    idle = [{"t_s": 0, "rss_mb": rounded(rss_mb(probe.pid), 1)}]
    for tick in range(1, int(idle_s // IDLE_SAMPLE_S) + 1):
        await asyncio.sleep(IDLE_SAMPLE_S)
        idle.append({"t_s": tick * IDLE_SAMPLE_S, "rss_mb": rounded(rss_mb(probe.pid), 1)})
        print(f"  idle {tick * IDLE_SAMPLE_S:.0f} s: RSS {idle[-1]['rss_mb']} MB", flush=True)
    return {
        "page": page.name, "query": query, "controls": keys, "steps": len(steps),
        "errors": sum(tally.errors.values()), "errors_by_kind": dict(tally.errors),
        "error_samples": tally.error_samples,
        "p50_s": rounded(percentile(tally.latencies, 50)),
        "max_s": rounded(max(tally.latencies, default=None)),
        "fragment_steps": len(tally.fragment_latencies),
        "rss_start_mb": rounded(rss_start, 1), "rss_peak_mb": rounded(peak, 1),
        "rss_right_after_mb": idle[0]["rss_mb"], "rss_idle": idle,
        "landed": [{"title": title, "widgets": n, "right_page": ok}
                   for (title, n, _, ok) in tally.landings],
        "per_step": steps,
        "log_check": log_check(probe.logged_runs(log_start), tally.script_runs),
    }


# --- pages --------------------------------------------------------------------------


async def discover_pages(url: str, query: str) -> list[AppPage]:
    """The app's pages, from the ``navigation`` message of a first visit (home)."""
    client = PageClient(url, "", query)
    await client.connect()
    try:
        result = await client.rerun(RUN_TIMEOUT_S)
    finally:
        await client.close()
    if not result.ok:
        raise SystemExit(f"the app's home page did not load: {result.reason}")
    if client.pages:
        return client.pages
    # A single-page app sends no navigation: its one page is the main script.
    return [AppPage(name="home", title=client.title or "", url_pathname="",
                    page_script_hash=client.page_script_hash, is_default=True)]


def select_pages(wanted: str | None, pages: list[AppPage]) -> list[AppPage]:
    if not wanted:
        return [p for p in pages if not p.external and not p.hidden]
    chosen = []
    for name in (n.strip() for n in wanted.split(",")):
        match = next((p for p in pages if name.lower() in
                      (p.name.lower(), p.url_pathname.lower(), p.title.lower())), None)
        if match is None and name.lower() in DEFAULT_PAGE_ALIASES:
            match = next((p for p in pages if p.is_default), None)
        if match is None:
            raise SystemExit(f"no page {name!r}; the app serves "
                             f"{', '.join(p.name for p in pages)}")
        chosen.append(match)
    return chosen


async def warm_up(url: str, page: AppPage, query: str) -> RunResult:
    """One visit before measuring, so every scenario starts with warm caches."""
    client = PageClient(url, page.url_pathname, query)
    await client.connect()
    try:
        result = await client.rerun(RUN_TIMEOUT_S)
    finally:
        await client.close()
    print(f"  warm-up /{page.url_pathname}: {result.latency_s:.2f} s, "
          f"title {client.title!r}, {len(client.widgets)} widgets "
          f"({sum(w.main for w in client.widgets.values())} in the main area)", flush=True)
    return result


# --- output -------------------------------------------------------------------------


def fmt(value, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict]) -> None:
    width = max([10, *(len(r["page"]) + 1 for r in rows)])
    head = (f"{'page':<{width}}{'N':>4}{'reruns':>7}{'err':>5}{'p50 s':>8}{'p95 s':>8}"
            f"{'max s':>8}{'load p50':>9}{'CPU s/run':>10}{'RSS start':>10}{'peak':>8}"
            f"{'after':>8}{'MB/stud':>8}")
    print("\n" + head + "\n" + "-" * len(head))
    for r in rows:
        print(f"{r['page']:<{width}}{r['students']:>4}{r['reruns']:>7}{r['errors']:>5}"
              f"{fmt(r['p50_s']):>8}{fmt(r['p95_s']):>8}{fmt(r['max_s']):>8}"
              f"{fmt(r['load_p50_s']):>9}{fmt(r['cpu_s_per_run'], '.4f'):>10}"
              f"{fmt(r['rss_start_mb'], '.0f'):>10}{fmt(r['rss_peak_mb'], '.0f'):>8}"
              f"{fmt(r['rss_after_mb'], '.0f'):>8}"
              f"{fmt(r['rss_growth_per_student_mb'], '.2f'):>8}")


def print_details(r: dict) -> None:
    print_landed(r)
    print_reruns(r, f"; fragment moves: {r['fragment_moves']}" if r["fragment_moves"] else "")
    print(f"  {r['outputs_changed']}/{r['reruns']} reruns changed the main area's output; "
          f"{r['cache_refs_resolved']} elements came from the message cache; "
          f"moves: {r['moves']}")
    if r["example_change"]:
        ex = r["example_change"]
        changes = ", ".join(f"{k} {a} -> {b}" for k, (a, b) in list(ex["metrics"].items())[:4])
        print(f"  e.g. {ex['control']} {ex['from']} -> {ex['to']}: {changes}")
    print_costs(r)


def print_landed(r: dict) -> None:
    for land in r["landed"]:
        print(f"  {r['page']}: {land['students']} student(s) landed on {land['title']!r}"
              f"{'' if land['right_page'] else ' (WRONG PAGE)'}: {land['widgets']} widgets, "
              f"{land['movable_main']} movable in the main area")


def print_reruns(r: dict, extra: str = "") -> None:
    print(f"  reruns: {r['reruns_full']} full (p50 {fmt(r['full_p50_s'])} s, "
          f"p95 {fmt(r['full_p95_s'])} s), {r['reruns_fragment']} fragment "
          f"(p50 {fmt(r['fragment_p50_s'])} s, p95 {fmt(r['fragment_p95_s'])} s)" + extra)


def print_costs(r: dict) -> None:
    """Errors, the log check, and what the runs cost the server."""
    if r["errors"]:
        print(f"  errors: {r['errors_by_kind']}; {r['error_samples']}")
    print_log_check(r["log_check"])
    by_rerun = r["script_runs_by_st_rerun"]
    print(f"  server CPU {fmt(r['server_cpu_s'], '.1f')} s over {r['script_runs']} runs "
          f"({r['script_runs_full']} full incl. page loads, "
          f"{r['script_runs_fragment']} fragment"
          + (f"; {by_rerun} started by st.rerun()" if by_rerun else "") + ") "
          f"(idle: {fmt(r['server_idle_cpu_s_per_s'], '.3f')} CPU s/s); "
          f"harness CPU {r['harness_cpu_s']} s in {r['wall_s']} s")


def print_log_check(check: dict | None) -> None:
    if check:
        print(f"  log check: server logged {check['server_logged_runs']} script runs, "
              f"harness counted {check['harness_runs']}: "
              f"{'agree' if check['agree'] else 'DISAGREE'}")


def machine_info() -> dict:
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                   .splitlines() if line.startswith("MemTotal:")), None)
    return {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.machine(), "cpus": os.cpu_count(),
            "memory_gb": rounded(mem_kb / 1024**2 if mem_kb else None, 1),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def _app_name(app_dir: Path) -> str:
    """The app's folder as results.json records it: its name, never a machine's path."""
    return app_dir.resolve().name


def git_commit(app_dir: Path) -> str | None:
    try:
        head = subprocess.run(["git", "-C", str(app_dir), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(app_dir), "status", "--porcelain"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+uncommitted changes" if dirty else "")


def write_results(path: Path, update: dict) -> None:
    """Merge into the "load" key of the results file; every other key stays as it was."""
    data = json.loads(path.read_text()) if path.exists() else {}
    load = data.get(RESULTS_KEY) if isinstance(data.get(RESULTS_KEY), dict) else {}
    load.update(update)
    data[RESULTS_KEY] = load
    path.write_text(json.dumps(data, indent=2) + "\n")


# --- main ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", help="comma-separated page names (URL paths; 'home' for "
                        "the default page); default: every page the app's navigation serves")
    parser.add_argument("--students",
                        help=f"comma-separated class sizes, one scenario each (default "
                             f"{DEFAULT_STUDENTS}; {QUIZ_STUDENTS} with --quiz)")
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION_S,
                        help="seconds each student stays (default 120)")
    parser.add_argument("--query", default="",
                        help=f"extra query string for every student, after {BASE_QUERY!r}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--think-min", type=float,
                        help=f"seconds (default {THINK_MIN_S:g}; {QUIZ_THINK_MIN_S:g} with --quiz)")
    parser.add_argument("--think-max", type=float,
                        help=f"seconds (default {THINK_MAX_S:g}; {QUIZ_THINK_MAX_S:g} with --quiz)")
    parser.add_argument("--url", help="an already running server (http://host:port)")
    parser.add_argument("--pid", type=int, help="with --url: the server's pid, for CPU/RSS")
    parser.add_argument("--app-dir", type=Path, default=ROOT,
                        help="the checkout to run `streamlit run app.py` in (default: repo)")
    parser.add_argument("--verify-log", action="store_true",
                        help="debug-log the server and compare its script runs with ours")
    parser.add_argument("--sweep", help="comma-separated control keys: one student steps "
                        "through every combination of their values (memory)")
    parser.add_argument("--idle", type=float, default=DEFAULT_IDLE_S,
                        help="--sweep: seconds of RSS samples after the student left")
    parser.add_argument("--hold", default="",
                        help="comma-separated control keys the students never move (a "
                             "lesson at fixed sizes, say: --hold m_tokens,m_features)")
    parser.add_argument("--quiz", action="store_true",
                        help="the Quiz page's student view: a classroom session (a fresh "
                             "database), the students on their seats, the harness teaching")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="JSON file whose 'load' key receives the figures")
    args = parser.parse_args(argv)
    if args.url and args.verify_log:
        parser.error("--verify-log needs the harness to start the server (no --url)")
    if args.pid and not args.url:
        parser.error("--pid goes with --url")
    if args.sweep and (not args.pages or "," in args.pages):
        parser.error("--sweep runs on one page: name it with --pages")
    if args.quiz and (args.url or args.sweep or args.pages or args.hold):
        parser.error("--quiz starts its own server (on a fresh database) and its own page: "
                     "no --url, --sweep, --pages or --hold")
    args.students = args.students or (QUIZ_STUDENTS if args.quiz else DEFAULT_STUDENTS)
    quiz_think = (QUIZ_THINK_MIN_S, QUIZ_THINK_MAX_S)
    if args.think_min is None:
        args.think_min = quiz_think[0] if args.quiz else THINK_MIN_S
    if args.think_max is None:
        args.think_max = quiz_think[1] if args.quiz else THINK_MAX_S
    if not 0 < args.think_min <= args.think_max:
        parser.error("need 0 < --think-min <= --think-max")
    global HELD
    HELD = frozenset(key for key in args.hold.split(",") if key)
    args.student_counts = [int(n) for n in args.students.split(",")]
    args.quiz_db = None  # the server's quiz database: a fresh file when it starts
    args.full_query = student_query(args.query)
    return args


def student_query(extra: str) -> str:
    """BASE_QUERY with ``extra`` appended; a key in ``extra`` replaces the base's."""
    added = parse_qsl(extra.lstrip("?"), keep_blank_values=True)
    base = [(k, v) for k, v in parse_qsl(BASE_QUERY) if k not in dict(added)]
    return urlencode(base + added)


def params_of(args: argparse.Namespace, url: str) -> dict:
    return {"pages": args.pages, "students": args.student_counts,
            "duration_s": args.duration, "query": args.full_query, "seed": args.seed,
            "think_s": [args.think_min, args.think_max], "run_timeout_s": RUN_TIMEOUT_S,
            "stagger_s": STAGGER_S, "settle_after_s": SETTLE_AFTER_S,
            "debug_log": bool(args.verify_log), "server_url": url if args.url else None,
            "hold": sorted(HELD)}


def quiz_params_of(args: argparse.Namespace, url: str, rows: list[dict]) -> dict:
    """--quiz's parameters; the poll interval is the app's (its run_every), as the
    students' pages registered it."""
    params = params_of(args, url)
    del params["pages"], params["hold"]
    return {**params, "page": QUIZ_PAGE, "questions": QUIZ_QUESTIONS,
            "question_kind": QUIZ_KIND, "first_open_s": FIRST_OPEN_S,
            "open_every_s": OPEN_EVERY_S, "open_for_s": OPEN_FOR_S,
            "poll_interval_s": sorted({s for r in rows for s in r["poll_interval_s"]})}


async def run_load(args: argparse.Namespace, url: str, probe: Probe) -> None:
    pages = select_pages(QUIZ_PAGE if args.quiz else args.pages,
                         await discover_pages(url, args.full_query))
    print(f"pages: {', '.join(f'{p.name} ({p.title})' for p in pages)}")
    info = run_info(args, url)
    if args.quiz:  # like a sweep, a quiz room keeps the scenarios' figures, and back
        figures = await quiz_mode(args, url, probe, pages[0])
        info["params"] = quiz_params_of(args, url, figures["scenarios"])
        update = {"quiz": {**info, **figures}}
    elif args.sweep:  # a sweep keeps the scenarios' figures, and the other way round
        update = {"sweep": {**info, **await sweep_mode(args, url, probe, pages)}}
    else:
        update = {**info, **await scenario_mode(args, url, probe, pages)}
    write_results(args.results, update)
    print(f"\nwritten to the {RESULTS_KEY!r} key of {args.results}")


async def scenario_mode(args: argparse.Namespace, url: str, probe: Probe,
                        pages: list[AppPage]) -> dict:
    rows = []
    for page in pages:
        await warm_up(url, page, args.full_query)
        for n in args.student_counts:
            sc = Scenario(url, page, n, args.full_query, args.duration,
                          (args.think_min, args.think_max), args.seed)
            rows.append(await run_scenario(sc, probe))
            print_details(rows[-1])
    print_table(rows)
    return {"scenarios": rows}


async def quiz_mode(args: argparse.Namespace, url: str, probe: Probe, page: AppPage) -> dict:
    """One quiz room per class size, each a new session on the server's database."""
    lang = dict(parse_qsl(args.full_query)).get("lang", "en")
    saved_prefix = catalogue(lang)[SAVED_KEY].split("{", 1)[0]
    # The warm-up student sits in a session of its own: the rooms' boards stay theirs.
    warm = open_session(args.quiz_db, 1, args.seed, prefix="warm-up ")
    await warm_up(url, page, seat_query(args.full_query, warm.tokens[0]))
    rows = []
    for n in args.student_counts:
        session = open_session(args.quiz_db, n, args.seed)
        sc = QuizScenario(url, page, session, args.full_query, args.duration,
                          (args.think_min, args.think_max), args.seed, saved_prefix)
        rows.append(await run_quiz(sc, probe))
        print_quiz_details(rows[-1])
    print_table(rows)
    return {"scenarios": rows}


async def sweep_mode(args: argparse.Namespace, url: str, probe: Probe,
                     pages: list[AppPage]) -> dict:
    await warm_up(url, pages[0], args.full_query)
    figures = await run_sweep(url, pages[0], args.full_query, args.sweep.split(","),
                              args.idle, probe)
    print(f"sweep: {figures['steps']} steps ({figures['fragment_steps']} fragment reruns), "
          f"{figures['errors']} errors, "
          f"RSS start {figures['rss_start_mb']} MB, peak {figures['rss_peak_mb']} MB, "
          f"right after {figures['rss_right_after_mb']} MB")
    print_log_check(figures["log_check"])
    return figures


def run_info(args: argparse.Namespace, url: str) -> dict:
    return {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(), "streamlit": streamlit.__version__,
            "app_dir": None if args.url else _app_name(args.app_dir),
            "app_commit": None if args.url else git_commit(args.app_dir),
            "params": params_of(args, url)}


def server_env(args: argparse.Namespace) -> dict[str, str]:
    """The server's quiz database is a fresh file (``args.quiz_db``, which --quiz opens
    too), never the checkout's data/: students of the Quiz page may open a session's
    join form. The teacher passcode is set, so that none is generated and logged."""
    args.quiz_db = Path(tempfile.mkdtemp(prefix="bench-load-quiz-")) / "quiz.sqlite3"
    return {DB_ENV_VAR: str(args.quiz_db), access.ENV_VAR: secrets.token_urlsafe(12)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        serve_and_load(args)
    finally:
        if args.quiz_db is not None:
            shutil.rmtree(args.quiz_db.parent, ignore_errors=True)


def serve_and_load(args: argparse.Namespace) -> None:
    server = None
    if args.url:
        url, probe = args.url.rstrip("/"), Probe(args.pid, None)
    else:
        server = AppServer(args.app_dir.resolve(), debug_log=args.verify_log,
                           env=server_env(args))
        print(f"starting `streamlit run app.py` in {server.app_dir}", flush=True)
        try:
            server.start()
        except ServerError as err:
            server.stop()
            raise SystemExit(str(err)) from err
        url, probe = server.url, Probe(server.pid, server)
        print(f"server pid {server.pid} at {url}, log {server.log_path}", flush=True)
    try:
        asyncio.run(run_load(args, url, probe))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
