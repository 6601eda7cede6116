"""A small process pool that survives its workers: one task per worker at a time, a dead worker replaced.

``concurrent.futures.ProcessPoolExecutor`` breaks as a whole when one worker dies (a segfault in a decoder,
the OOM killer): every pending future fails. Here each worker has its own pipe; the parent sends it one task,
waits on every pipe and every worker's sentinel, and when a worker dies with a task in hand that task comes
back as an error (``the worker process died …``) and a fresh worker takes its place.

A worker is set up once (``setup(config)``, e.g. a :class:`~studio.application.StudioApp` with its models) and
then runs ``work(state, payload)`` for each task it is given, so what it loads stays loaded between tasks.
Workers are started with ``spawn`` (no fork of a parent that may hold threads, Qt or torch) and ignore
Ctrl-C: the parent decides what to do with it.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from studio.errors import Cancelled, StudioError

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker runs: ``setup`` and ``work`` as ``"module:function"`` names, and ``setup``'s config."""

    setup: str
    work: str
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    """A finished task: what ``work`` returned, or the error that stopped it (``crashed``: the worker died)."""

    key: Any
    payload: Any
    value: dict[str, Any] | None = None
    error: str = ""
    crashed: bool = False
    worker: str = ""
    seconds: float = 0.0


def resolve(name: str) -> Callable[..., Any]:
    module, _, attr = name.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    return function


def limit_threads(threads: int = 1) -> None:
    """One compute thread per worker process: N workers on N cores, not N × N threads fighting."""
    for var in THREAD_VARS:
        os.environ[var] = str(threads)


def prepare_worker(threads: int = 1) -> None:
    """In a worker process, before anything heavy is imported: ignore Ctrl-C, one thread per library."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads(threads)


def _worker_main(conn: Connection, spec: WorkerSpec, threads: int) -> None:
    prepare_worker(threads)
    try:
        state = resolve(spec.setup)(spec.config)
        work = resolve(spec.work)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which stops the batch
        conn.send(("setup-failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        key, payload = message
        start = time.perf_counter()
        try:
            value = work(state, payload)
            conn.send(("done", key, value, "", time.perf_counter() - start))
        except Exception as exc:  # noqa: BLE001 - one task's failure is its row's error, not the worker's end
            detail = str(exc) if isinstance(exc, StudioError) else f"{type(exc).__name__}: {exc}"
            if os.environ.get("STUDIO_BATCH_TRACEBACK"):
                detail += "\n" + traceback.format_exc()
            conn.send(("done", key, None, detail, time.perf_counter() - start))


class PoolError(Exception):
    """The pool could not start its workers (their set-up failed)."""


@dataclass
class _Worker:
    name: str
    process: Any
    conn: Connection
    ready: bool = False
    task: tuple[Any, Any] | None = None
    started: float = 0.0
    timed_out: bool = False


def describe_exit(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


class LocalPool:
    """``workers`` processes on this machine; :meth:`run` yields one :class:`Outcome` per task as each finishes."""

    def __init__(self, spec: WorkerSpec, workers: int, threads_per_worker: int = 1,
                 timeout: float | None = None) -> None:
        self.spec = spec
        self.timeout = timeout  # seconds a task may take before its worker is stopped (None: no limit)
        self.size = max(1, int(workers))
        self.threads = threads_per_worker
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._count = 0

    def _spawn(self) -> _Worker:
        self._count += 1
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child, self.spec, self.threads),
                                    name=f"studio-batch-{self._count}", daemon=True)
        process.start()
        child.close()
        worker = _Worker(f"local-{self._count}", process, parent)
        self._workers.append(worker)
        return worker

    def run(self, tasks: Iterable[tuple[Any, Any]], cancel: threading.Event | None = None) -> Iterator[Outcome]:
        """Run ``(key, payload)`` tasks; a task whose worker dies comes back with ``crashed=True``.

        Stops (raising :class:`studio.errors.Cancelled`) when ``cancel`` is set; the tasks in flight are lost.
        """
        pending: deque[tuple[Any, Any]] = deque(tasks)
        if not pending:
            return
        setup_failures = 0
        try:
            for _ in range(min(self.size, len(pending))):
                self._spawn()
            while pending or any(w.task is not None for w in self._workers):
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                for worker in self._workers:
                    if worker.ready and worker.task is None and pending:
                        worker.task = pending.popleft()
                        worker.started = time.perf_counter()
                        try:
                            worker.conn.send(worker.task)
                        except (BrokenPipeError, OSError):
                            pass  # its death shows on the sentinel below
                if self.timeout:
                    for worker in self._workers:
                        if worker.task is not None and not worker.timed_out \
                                and time.perf_counter() - worker.started > self.timeout:
                            worker.timed_out = True
                            worker.process.kill()  # its death below records the task as an error
                ready = wait([w.conn for w in self._workers] + [w.process.sentinel for w in self._workers],
                             timeout=0.25)
                for worker in list(self._workers):
                    message = None
                    if worker.conn in ready or worker.process.sentinel in ready:
                        try:
                            if worker.conn.poll():
                                message = worker.conn.recv()
                        except (EOFError, OSError):
                            message = None
                    if message is not None:
                        kind = message[0]
                        if kind == "ready":
                            worker.ready = True
                        elif kind == "setup-failed":
                            setup_failures += 1
                            self._retire(worker)
                            if setup_failures >= self.size or not self._workers:
                                raise PoolError(f"the batch workers could not start: {message[1]}")
                        elif kind == "done":
                            _, key, value, error, seconds = message
                            task = worker.task
                            worker.task = None
                            yield Outcome(key, task[1] if task else None, value, error, worker=worker.name,
                                          seconds=seconds)
                        continue
                    if worker.process.sentinel in ready and not worker.process.is_alive():
                        task = worker.task
                        code = worker.process.exitcode
                        self._retire(worker)
                        if task is not None:
                            reason = f"took longer than {self.timeout:g} s; its worker was stopped" \
                                if worker.timed_out and self.timeout else \
                                f"the worker process died while on this file ({describe_exit(code)})"
                            yield Outcome(task[0], task[1], None, reason,
                                          crashed=True, worker=worker.name,
                                          seconds=time.perf_counter() - worker.started)
                        elif not worker.ready:
                            setup_failures += 1
                            if setup_failures >= self.size:
                                raise PoolError(f"the batch workers died while starting ({describe_exit(code)})")
                        if pending and len(self._workers) < min(self.size, len(pending) + self.busy):
                            self._spawn()
        finally:
            self.close()

    @property
    def busy(self) -> int:
        return sum(1 for w in self._workers if w.task is not None)

    def _retire(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        try:
            worker.conn.close()
        except OSError:
            pass
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)

    def close(self) -> None:
        """Stop every worker: a polite end to the idle ones, a kill to those still working."""
        for worker in list(self._workers):
            try:
                if worker.task is None:
                    worker.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + 3.0
        for worker in list(self._workers):
            if worker.task is None:
                worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            self._retire(worker)
