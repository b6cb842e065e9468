"""Progress on stderr: a bar per table with rows/s on a terminal, plain lines otherwise.

Never writes to stdout (``compile --stdout`` streams SQL there). Thread-safe: loader sessions and
compile workers report from several threads.
"""

from __future__ import annotations

import sys
import threading
import time


class Progress:
    """``progress(table, rows)`` adds rows; ``note(text)`` prints a message; use as a context."""

    def __init__(self, verb: str, totals: dict[str, int], live: bool | None = None, stream=None):
        self.verb = verb
        self.totals = dict(totals)
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.done: dict[str, int] = {t: 0 for t in totals}
        self.started: dict[str, float] = {}
        self.lock = threading.Lock()
        self._rich = None
        self._tasks: dict[str, int] = {}
        self._last = time.perf_counter()  # work reported without start() began at the previous event
        self._shared = False

    def alongside(self, verb: str, totals: dict[str, int]) -> Progress:
        """Another stage's progress in this one's display, for stages that run at the same time
        (a load keeping pace with the compile): its own bars or lines, one live display."""
        other = Progress(verb, totals, live=False, stream=self.stream)
        other.live, other.lock, other._rich, other._shared = self.live, self.lock, self._rich, True
        return other

    def __enter__(self):
        if self.live and not self._shared:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bars

            self._rich = Bars(
                TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]:>14}"), TimeElapsedColumn(),
                console=Console(file=self.stream), transient=False,
            )
            self._rich.start()
        return self

    def __exit__(self, *exc):
        if self._rich is not None and not self._shared:
            self._rich.stop()
        return False

    def start(self, table: str) -> None:
        """The table's work begins now (rates count from here)."""
        with self.lock:
            self.started.setdefault(table, time.perf_counter())

    def __call__(self, table: str, rows: int) -> None:
        self.advance(table, rows)

    def advance(self, table: str, rows: int, total: int | None = None) -> None:
        with self.lock:
            now = time.perf_counter()
            self.started.setdefault(table, self._last)
            self._last = now
            if total is not None:
                self.totals[table] = total
            self.done[table] = self.done.get(table, 0) + rows
            n, total = self.done[table], self.totals.get(table, 0)
            rate = n / max(now - self.started[table], 1e-6)
            if self._rich is not None:
                if table not in self._tasks:
                    self._tasks[table] = self._rich.add_task(f"{self.verb} {table}", total=total or None, rate="")
                self._rich.update(self._tasks[table], completed=n, total=total or None,
                                  rate=f"{rate:,.0f} rows/s")
            elif total and n >= total:
                secs = now - self.started[table]
                print(f"{self.verb} {table}: {n:,} rows in {secs:.2f}s ({rate:,.0f} rows/s)", file=self.stream,
                      flush=True)

    def note(self, text: str) -> None:
        with self.lock:
            if self._rich is not None:
                self._rich.console.print(text)
            else:
                print(text, file=self.stream, flush=True)
