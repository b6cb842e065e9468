"""A command stopped by a signal (SIGTERM, SIGINT, SIGHUP) leaves nothing behind.

Raising KeyboardInterrupt from a signal handler is not safe here: the exception can surface
inside a callback of polars' or numpy's native code, which then aborts the process with a panic
and without unwinding, so a ``.tmp`` part stays and a client session runs on. Instead the handler
does the cleaning itself, from registries kept as the work goes: temporary files being written
(``Destination.atomic``), worker processes, database client processes (``clients.started``);
then the process ends at once. What is committed stays committed: every part is loaded in a
transaction with its ledger row, so ``load --resume`` finishes the job.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

_paths: set[str] = set()  # files and directories to remove if stopped
_lock = threading.Lock()


def remember(path) -> None:
    with _lock:
        _paths.add(str(path))


def forget(path) -> None:
    with _lock:
        _paths.discard(str(path))


def clean() -> None:
    """Remove what is being written, end worker and client processes."""
    import shutil

    with _lock:
        paths = list(_paths)
        _paths.clear()
    for p in paths:
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        else:
            try:
                os.unlink(p)
            except OSError:
                pass
    if "multiprocessing" in sys.modules:
        import multiprocessing

        children = multiprocessing.active_children()
        for child in children:
            child.terminate()  # a worker runs this module's handler too: it removes its own part
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    clients = sys.modules.get("specgen.db.clients")  # not imported here: it is a later layer
    if clients is not None:
        clients.end_sessions()


def _stop(signum, frame, quiet: bool = False) -> None:
    clean()
    if not quiet:
        try:
            sys.stderr.write(f"stopped by {signal.Signals(signum).name}: nothing half written is left; "
                             "a load continues with --resume\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
    os._exit(128 + signum)


def install(quiet: bool = False) -> None:
    """Stop this process cleanly on SIGTERM, SIGINT and SIGHUP (main thread only)."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, (lambda s, f: _stop(s, f, quiet=True)) if quiet else _stop)
