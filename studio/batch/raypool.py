"""The same work as :class:`~studio.batch.pool.LocalPool`, as Ray actors: on this machine or on a cluster.

``--ray local`` starts a Ray instance here; ``--ray HOST:PORT`` (or ``ray://HOST:PORT``, or ``auto``) joins a
running cluster. One actor per worker is set up once (its app, its models) and is given one task at a time;
results come back here as each finishes and are written to the results file on this machine. An actor that
dies (a segfault in a decoder) takes only its task with it: that task comes back as an error and a new actor
takes its place. On a remote cluster the files' bytes travel with the tasks (the cluster need not see this
machine's disks); Studio must be installed on the cluster's nodes.

Ray is optional (``pip install 'studio-media[ray]'``); without it ``--ray`` says how to get it.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from studio.batch.pool import Outcome, PoolError, WorkerSpec, prepare_worker, resolve
from studio.errors import BadInputError, Cancelled, StudioError

INSTALL_HINT = "Install it with: pip install 'studio-media[ray]' (or: pip install ray). Without --ray the batch " \
               "runs in processes on this machine."
CONNECT_TIMEOUT = 5.0
READY_TIMEOUT = 600.0


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BadInputError("--ray needs Ray, which is not installed.", INSTALL_HINT) from None
    return ray


def split_address(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``HOST:PORT`` or ``ray://HOST:PORT``; None for ``auto`` or ``local``."""
    text = address.strip()
    if text in ("auto", "local"):
        return None
    text = text.removeprefix("ray://")
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise BadInputError(f"'{address}' is not a Ray address.",
                            "Give HOST:PORT (the head node's GCS port, usually 6379), ray://HOST:PORT, auto, or "
                            "local to start Ray on this machine.")
    return host.strip("[]"), int(port)


def probe(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Fail fast, with a clear message, when nothing answers at ``address`` (ray.init would wait a long time)."""
    target = split_address(address)
    if target is None:
        return
    host, port = target
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except TimeoutError:
        raise BadInputError(f"No Ray cluster answers at {address}: nothing replied within {timeout:g} s.",
                            "Check the address and that the head node is running ('ray status' there).") from None
    except OSError as exc:
        raise BadInputError(f"No Ray cluster answers at {address} ({exc.strerror or exc}).",
                            "Check the address and that the head node is running ('ray status' there).") from None


class _Actor:
    """A Ray actor holding one worker's state (its app, its models) between tasks."""

    def __init__(self, spec: WorkerSpec, threads: int) -> None:
        prepare_worker(threads)
        self.state = resolve(spec.setup)(spec.config)
        self.work = resolve(spec.work)

    def ready(self) -> int:
        return os.getpid()

    def run(self, key: Any, payload: Any) -> tuple[Any, Any, str, float]:
        start = time.perf_counter()
        try:
            return key, self.work(self.state, payload), "", time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - the task's error, not the actor's end
            detail = str(exc) if isinstance(exc, StudioError) else f"{type(exc).__name__}: {exc}"
            return key, None, detail, time.perf_counter() - start


@dataclass
class _Slot:
    name: str
    actor: Any
    ready_ref: Any = None
    ready: bool = False
    task: tuple[Any, Any] | None = None
    ref: Any = None
    started: float = 0.0


class RayPool:
    """``workers`` Ray actors; :meth:`run` yields an :class:`~studio.batch.pool.Outcome` per task as each finishes."""

    def __init__(self, spec: WorkerSpec, workers: int, address: str = "local", threads_per_worker: int = 1) -> None:
        self.spec = spec
        self.size = max(1, int(workers))
        self.address = address
        self.threads = threads_per_worker
        self.ray = import_ray()
        self.remote = address != "local"
        self._started_here = False
        self._slots: list[_Slot] = []
        self._count = 0
        self._actor_class: Any = None
        self._stdout: Any = None

    def connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        # Ray's driver prints its workers' messages ("(raylet) A worker died…") to stdout from a thread: they go
        # to stderr while the batch runs, so that stdout stays the command's own output (``--json``)
        self._stdout, sys.stdout = sys.stdout, sys.stderr
        env = {var: str(self.threads) for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "error",
                                   "runtime_env": {"env_vars": env}}
        if self.address == "local":
            ray.init(num_cpus=self.size, **options)
            self._started_here = True
            return
        probe(self.address)
        try:
            ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise BadInputError(f"Could not join the Ray cluster at {self.address}: {exc}",
                                "Check the address, that the cluster runs the same Ray and Python versions, and its "
                                "authentication token (RAY_AUTH_TOKEN) if it asks for one.") \
                from None

    def _spawn(self) -> _Slot:
        if self._actor_class is None:
            self._actor_class = self.ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(_Actor)
        self._count += 1
        actor = self._actor_class.remote(self.spec, self.threads)
        slot = _Slot(f"ray-{self._count}", actor)
        slot.ready_ref = actor.ready.remote()
        self._slots.append(slot)
        return slot

    def payload_for(self, payload: dict[str, Any]) -> dict[str, Any]:
        """On a remote cluster the file's bytes go with the task (its disks are not this machine's)."""
        if not self.remote or "path" not in payload or payload.get("data") is not None:
            return payload
        try:
            with open(payload["path"], "rb") as fh:
                return {**payload, "data": fh.read()}
        except OSError:
            return payload  # the worker reports the file as missing or unreadable

    def run(self, tasks: Iterable[tuple[Any, Any]], cancel: threading.Event | None = None) -> Iterator[Outcome]:
        ray = self.ray
        pending = list(tasks)
        pending.reverse()
        if not pending:
            return
        setup_failures = 0
        started = time.monotonic()
        try:
            self.connect()
            for _ in range(min(self.size, len(pending))):
                self._spawn()
            while pending or any(s.task is not None for s in self._slots):
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                for slot in self._slots:
                    if slot.ready and slot.task is None and pending:
                        key, payload = pending.pop()
                        slot.task = (key, payload)
                        slot.started = time.perf_counter()
                        slot.ref = slot.actor.run.remote(key, self.payload_for(payload))
                refs = [s.ready_ref for s in self._slots if not s.ready] + [s.ref for s in self._slots if s.task]
                if not refs:
                    raise PoolError("no Ray worker is left to run the batch")
                done, _ = ray.wait(refs, num_returns=1, timeout=0.25)
                for slot in list(self._slots):
                    if not slot.ready and slot.ready_ref in done:
                        try:
                            ray.get(slot.ready_ref)
                            slot.ready = True
                        except ray.exceptions.RayError as exc:
                            setup_failures += 1
                            self._retire(slot)
                            if setup_failures >= self.size:
                                raise PoolError(f"the Ray workers could not start: {first_line(exc)}") from None
                            if pending:
                                self._spawn()
                    elif slot.task is not None and slot.ref in done:
                        task, ref = slot.task, slot.ref
                        slot.task, slot.ref = None, None
                        try:
                            key, value, error, seconds = ray.get(ref)
                            yield Outcome(key, task[1], value, error, worker=slot.name, seconds=seconds)
                        except ray.exceptions.RayActorError as exc:
                            self._retire(slot)
                            yield Outcome(task[0], task[1], None,
                                          f"the Ray worker died while on this file ({first_line(exc)})",
                                          crashed=True, worker=slot.name,
                                          seconds=time.perf_counter() - slot.started)
                            if pending:
                                self._spawn()
                        except ray.exceptions.RayError as exc:
                            yield Outcome(task[0], task[1], None, f"Ray could not run this file: {first_line(exc)}",
                                          worker=slot.name, seconds=time.perf_counter() - slot.started)
                if not any(s.ready for s in self._slots) and time.monotonic() - started > READY_TIMEOUT:
                    raise PoolError(f"no Ray worker started within {READY_TIMEOUT:g} s (is the cluster out of CPUs?)")
        finally:
            self.close()

    def _retire(self, slot: _Slot) -> None:
        if slot in self._slots:
            self._slots.remove(slot)
        try:
            self.ray.kill(slot.actor, no_restart=True)
        except Exception:  # noqa: BLE001 - already gone
            pass

    def close(self) -> None:
        for slot in list(self._slots):
            self._retire(slot)
        if self.ray.is_initialized():
            self.ray.shutdown()
        if self._stdout is not None:
            sys.stdout, self._stdout = self._stdout, None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
