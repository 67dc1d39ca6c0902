"""A warm worker: one process with TensorFlow already loaded, waiting for the next job.

A job started cold pays for importing TensorFlow (seconds on a small machine) before it
reads a row. The local runner therefore keeps one *warm worker* per workspace: a process
started like a job process (``python -m core.jobs warm <workspace>``: its own session,
detached from the web server) that loads the training code, then listens on a local
socket. When a job is submitted the runner hands it over — the job folder and the job's
locked ``lock`` file descriptor, passed with ``SCM_RIGHTS`` — and the worker becomes that
job's process: its output goes to the job's ``log.txt`` from then on and it runs
:func:`core.jobs.process.run_job` exactly as a cold process would, so every guarantee of
the job package holds unchanged: the lock is held by the process that trains (it dies,
the job reads "interrupted"), the slot queue, stop within a batch, re-attach after a
server restart (the worker is not a child of the server's session). Right after a
hand-over the runner starts the next warm worker.

The hand-over never loses a job: the worker answers ``taken`` only after it has checked
the folder and the lock, and before it touches a file; any other outcome (no worker,
a refusal, a dead or hung worker) makes the runner end that worker (through a pidfd, so
never another process) and start the job cold with the lock it still holds.

A warm worker costs memory (TensorFlow's own) and, while it loads, CPU: it runs at the
jobs' lower priority, loads only while a job slot is free (never in the middle of someone's
training on a small machine), and leaves after ``IDLE_SECONDS`` without a job or when its
workspace is gone. ``TRAINBOARD_WARM_WORKER=0`` turns it off (jobs then always start cold).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from core.jobs.process import (
    LOCK_FILE,
    LOG_FILE,
    STATUS_FILE,
    default_max_concurrent,
    lock_is_held,
    lower_priority,
    queue_counts,
    run_job,
)
from core.jobs.states import is_job_id

WARM_VARIABLE = "TRAINBOARD_WARM_WORKER"  # "0" turns the warm worker off
WARM_DIR = "warm"  # under the workspace: the worker's lock and its own log until it takes a job
WORKER_LOCK = "worker.lock"  # held by the one warm worker of a workspace while it waits
WORKER_LOG = "worker.log"
HANDOFF_SECONDS = 5.0  # the worker answers at once; a silent one is stuck and is replaced
IDLE_SECONDS = 3600.0  # a worker nobody used for this long leaves (it holds TensorFlow's memory)
POLL_SECONDS = 0.5
READY_LINE = "Warm worker {pid} is listening"  # in worker.log once it takes jobs
TAKEN = b"taken\n"
REFUSED = b"refused\n"
_MAX_MESSAGE = 4096


def warm_worker_wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the app keeps a warm worker: on unless ``TRAINBOARD_WARM_WORKER`` says no."""
    value = (environ if environ is not None else os.environ).get(WARM_VARIABLE, "1")
    return value.strip().lower() not in {"0", "false", "no", "off"}


def worker_address(workspace: Path) -> str | None:
    """Where the workspace's warm worker listens; None where this platform cannot say.

    On Linux an abstract socket (no file to go stale when a worker dies, no path-length
    limit); elsewhere a socket file in the workspace if its path is short enough.
    """
    if sys.platform.startswith("linux"):
        digest = hashlib.sha256(str(Path(workspace).resolve()).encode()).hexdigest()[:32]
        return f"\0trainboard-warm-{digest}"
    path = str(Path(workspace).resolve() / WARM_DIR / "worker.sock")
    return path if len(path.encode()) < 100 else None


# --- the runner's side ----------------------------------------------------------------------


def hand_over(workspace: Path, job_dir: Path, lock_fd: int) -> bool:
    """Give the job in ``job_dir`` (its lock held by ``lock_fd``) to the warm worker.

    Returns True when the worker has taken it (it now holds the lock; the caller closes
    its own descriptor as after a cold start). Returns False when there is no usable worker;
    a worker that did not answer properly has then been ended, so the caller can start the
    job cold without two processes ever running it.
    """
    address = worker_address(workspace)
    if address is None:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(HANDOFF_SECONDS)
        try:
            sock.connect(address)
        except OSError:
            return False  # nobody listening: no warm worker yet
        worker = _pidfd_of_peer(sock)
        try:
            socket.send_fds(sock, [str(job_dir).encode()], [lock_fd])
            reply = _read_reply(sock)
        except OSError:
            reply = b""
        if reply == TAKEN:
            _close(worker)
            return True
        if reply != REFUSED and worker is not None:
            # Silent, garbled or gone: end it, so it cannot start the job after we gave up.
            _kill(worker)
        _close(worker)
        return False


def start_warm_worker(workspace: Path, env: Mapping[str, str], max_concurrent: int) -> bool:
    """Start the workspace's warm worker unless one is already waiting; True if started."""
    warm_dir = Path(workspace) / WARM_DIR
    try:
        warm_dir.mkdir(parents=True, exist_ok=True)
        if lock_is_held(warm_dir / WORKER_LOCK):
            return False
        command = [
            sys.executable,
            "-m",
            "core.jobs",
            "warm",
            str(Path(workspace).resolve()),
            "--max-concurrent",
            str(max_concurrent),
        ]
        with open(warm_dir / WORKER_LOG, "wb") as log:  # one worker at a time writes it
            process = subprocess.Popen(
                command,
                cwd=Path(__file__).resolve().parents[2],
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # like a job: a restart of the web server leaves it
            )
    except (OSError, subprocess.SubprocessError):
        return False  # no warm worker: the next job simply starts cold
    threading.Thread(target=process.wait, daemon=True).start()  # no zombie
    return True


def _pidfd_of_peer(sock: socket.socket) -> int | None:
    """A pidfd of the process at the other end (names it even if its pid is reused)."""
    try:
        credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid = struct.unpack("3i", credentials)[0]
        return os.pidfd_open(pid) if pid > 0 else None
    except (OSError, AttributeError):
        return None


def _kill(pidfd: int) -> None:
    with contextlib.suppress(OSError):
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    # Wait until it is gone (a pidfd reads as ready when the process has ended).
    import select

    with contextlib.suppress(OSError):
        select.select([pidfd], [], [], HANDOFF_SECONDS)


def _close(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def _read_reply(sock: socket.socket) -> bytes:
    reply = b""
    while not reply.endswith(b"\n") and len(reply) < 64:
        chunk = sock.recv(64)
        if not chunk:
            break
        reply += chunk
    return reply


# --- the worker's side ----------------------------------------------------------------------


def serve(workspace: Path, max_concurrent: int | None = None) -> int:
    """Wait warm for one job of ``workspace``, then run it; the exit code of the job or 0."""
    workspace = Path(workspace).resolve()
    jobs_dir = workspace / "jobs"
    warm_dir = workspace / WARM_DIR
    address = worker_address(workspace)
    if address is None:
        return 0
    warm_dir.mkdir(parents=True, exist_ok=True)
    worker_lock = os.open(warm_dir / WORKER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(worker_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another warm worker is already here
    os.ftruncate(worker_lock, 0)
    os.write(worker_lock, str(os.getpid()).encode())  # for an operator (and tests) to find it
    lower_priority()
    slots = max(1, max_concurrent or default_max_concurrent())
    waiting_since = time.monotonic()

    def should_leave() -> bool:
        return time.monotonic() - waiting_since > IDLE_SECONDS or not workspace.is_dir()

    # Load only while a slot is free: on a small machine, loading beside a training run
    # would slow that run's passes; the next job would have to wait for the slot anyway.
    while not _room_for_a_job(jobs_dir, slots):
        if should_leave():
            return 0
        time.sleep(POLL_SECONDS)
    started = time.perf_counter()
    load_training_code()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(address)
    except OSError:
        return 0  # the address is taken: another worker listens there
    listener.listen(8)
    listener.settimeout(POLL_SECONDS)
    seconds = time.perf_counter() - started
    print(f"{READY_LINE.format(pid=os.getpid())} (loaded in {seconds:.1f}s)", flush=True)
    job: tuple[Path, int] | None = None
    while job is None:
        if should_leave():
            return 0
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        with connection:
            job = _take_job(connection, jobs_dir)
            if job is not None:
                # Stop listening and let the next warm worker start before answering, so a
                # job submitted right after this one finds a worker (or starts cold).
                listener.close()
                os.close(worker_lock)
                with contextlib.suppress(OSError):
                    connection.sendall(TAKEN)
    job_dir, lock_fd = job
    _send_output_to(job_dir / LOG_FILE)
    return run_job(job_dir, lock_fd=lock_fd)


def load_training_code() -> None:
    """Import everything a job imports (TensorFlow, Keras, the pipeline and the exporters)."""
    from core.quiet_tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly()
    import core.bundle.writer  # noqa: F401  (the export code a job's tail imports)
    import core.pipeline  # noqa: F401


def _room_for_a_job(jobs_dir: Path, slots: int) -> bool:
    ahead, training = queue_counts(jobs_dir, "", float("inf"))
    return ahead + training < slots


def _take_job(connection: socket.socket, jobs_dir: Path) -> tuple[Path, int] | None:
    """The job offered on ``connection`` (folder, lock fd) if it checks out; else refuse it."""
    connection.settimeout(HANDOFF_SECONDS)
    fds: list[int] = []
    try:
        # Only a process of this user may hand a job over (the socket is reachable by others).
        credentials = connection.getsockopt(
            socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
        )
        if struct.unpack("3i", credentials)[1] != os.getuid():
            raise ValueError("not this user's runner")
        message, fds, _, _ = socket.recv_fds(connection, _MAX_MESSAGE, 1)
        if len(fds) != 1:
            raise ValueError("no lock descriptor")
        job_dir = Path(message.decode())
        if job_dir.parent != jobs_dir or not is_job_id(job_dir.name):
            raise ValueError("not a job folder of this workspace")
        lock_fd = fds[0]
        held, on_disk = os.fstat(lock_fd), os.stat(job_dir / LOCK_FILE)
        if (held.st_dev, held.st_ino) != (on_disk.st_dev, on_disk.st_ino):
            raise ValueError("not the job's lock")
        # The runner's lock, same open file description: this confirms it is held.
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not (job_dir / STATUS_FILE).is_file():
            raise ValueError("the job folder is incomplete")
    except (OSError, ValueError, UnicodeDecodeError) as problem:
        print(f"Refused a job hand-over: {problem}.", file=sys.stderr, flush=True)
        for fd in fds:
            _close(fd)
        with contextlib.suppress(OSError):
            connection.sendall(REFUSED)
        return None
    return job_dir, lock_fd


def _send_output_to(log_path: Path) -> None:
    """From now on this process writes to the job's log, as a cold job process does."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def main(argv: list[str] | None = None) -> int:
    """``python -m core.jobs warm <workspace> [--max-concurrent N]``."""
    parser = argparse.ArgumentParser(prog="python -m core.jobs warm")
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--max-concurrent", type=int, default=None)
    args = parser.parse_args(argv)
    return serve(args.workspace, args.max_concurrent)
