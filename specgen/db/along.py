"""A load that keeps pace with a compile running in the same process, table by table.

``specgen generate`` hands a ``LoadAlong`` to the compile as its ``watch``: the loader starts as
soon as the schema is written and takes each table once its parts are complete.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from specgen.db import loader
from specgen.errors import SpecgenError


class LoadAlong:
    """A load that keeps pace with a compile running in this process (``compile_dir``'s watch):
    on a machine with a second core, the database takes each table while the next is written.

    The loader starts once ``schema.sql`` is written, with the manifest as it will be, and takes
    the tables in the compile's order as each is complete. A compile that fails stops it before
    the next table (what it committed stays, as after any stopped load); a load that fails is
    reported once the compile is done, so the dump is complete for ``specgen load``."""

    def __init__(self, out_dir: Path, target, options):
        self.out_dir, self.target, self.options = out_dir, target, options
        self.progress = None
        self.manifest: dict = {}  # as the compile will write it; entries filled as tables are done
        self.tables: list[str] = []
        self.thread: threading.Thread | None = None
        self.started_at = 0.0
        self.ready: queue.Queue = queue.Queue()
        self.result = None
        self.error: BaseException | None = None

    def started(self, manifest: dict) -> None:
        self.tables = list(manifest["tables"])
        self.manifest = manifest
        self.started_at = time.perf_counter()
        if self.progress is not None:
            self.progress.totals.update({t: e["rows"] for t, e in manifest["tables"].items()})
        run = loader.Loader(self.out_dir, self.target, self.options, self.progress, manifest=manifest).run
        self.thread = threading.Thread(target=self._run, args=(run,), daemon=True)
        self.thread.start()

    def table_done(self, table: str, entry: dict) -> None:
        self.manifest["tables"][table] = entry
        self.ready.put(table)

    def stop(self) -> None:
        """The compile failed: the load ends before the next table."""
        if self.thread is not None:
            self.ready.put(None)
            self.thread.join()

    def join(self):
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.result

    def _run(self, run) -> None:
        try:
            self.result = run(ready=self._ready())
        except BaseException as exc:  # noqa: BLE001 - raised in the compiling thread
            self.error = exc

    def _ready(self):
        # The compile's order: tables without parts at once, then the biggest first.
        for _ in self.tables:
            table = self.ready.get()
            if table is None:
                raise SpecgenError("the load stopped: the compile failed")
            yield table
