"""The loader's sessions: one long-lived client process each, fed part after part.

A part goes in as one transaction with its ledger row. A compressed part, or one with a sha256
in the manifest, reaches the client through a named pipe that a ``Feeder`` thread fills,
decompressing and hashing on the way: the part commits only if every byte was the manifest's.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from specgen.db.clients import MARKER, ClientError
from specgen.errors import SpecgenError


class Session:
    """One long-lived client process that loads parts fed to it one at a time."""

    def __init__(self, loader):  # the db.loader.Loader it loads for (which imports this module)
        self.loader = loader
        self.client = loader.client
        self.proc = None
        self.stderr: list[str] = []
        self._fifo_dir = None
        self._pipes: dict[str, str] = {}  # named pipe -> the part it carries, for messages

    def __enter__(self):
        import subprocess
        from contextlib import ExitStack

        self._stack = ExitStack()
        try:
            argv, fds = self.client.command(self._stack, query=False)
            from specgen.db.clients import ended, started

            self.proc = started(subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE, cwd=self.loader.dir, env=self.client.env(),
                                                 text=True, bufsize=1, pass_fds=fds))
            self._stack.callback(ended, self.proc)
            self._err = threading.Thread(target=lambda: self.stderr.append(self.proc.stderr.read()), daemon=True)
            self._err.start()
            self.send(self.client.session_preamble() + self.loader.session_sql())
        except BaseException:
            self._stack.close()
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            raise
        return self

    def send(self, text: str) -> None:
        try:
            self.proc.stdin.write(text)
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._fail()

    def run(self, sql: str, tag: str) -> None:
        """SQL in this session, waited for."""
        if sql:
            self.send(f"{sql}{self.client.marker(tag)}\n")
            self._wait(tag)

    def load(self, table: str, f: dict) -> None:
        """One part in one transaction, committed together with its ledger row."""
        lo = self.loader
        path, feeder = lo.source.open(table, f) if lo.source is not None else self._source(f)
        body = lo.part_statements(table, path)
        ledger = lo.ledger_row(f["path"], f["rows"])
        begin = lo.dialect.load_begin
        if feeder is None:
            self.send(f"{begin}\n{body}{ledger}COMMIT;\n{self.client.marker(f['path'])}\n")
            self._wait(f["path"])
            return
        # Through a pipe the client sees a short read as the end of the file: commit only once the
        # decompressor has finished without error.
        self.send(f"{begin}\n{body}{self.client.marker('read ' + f['path'])}\n")
        feeder.start()
        try:
            self._wait("read " + f["path"])
        finally:
            abort = getattr(feeder, "abort", None)
            if abort is not None:  # the client is done with the pipe: a writer still waiting gives up
                abort()
        feeder.join()
        if feeder.error:
            self.send(f"ROLLBACK;\n{self.client.marker('rolled back')}\n")
            self._wait("rolled back")
            raise SpecgenError(f"cannot {getattr(feeder, 'verb', 'decompress')} {f['path']}: {feeder.error}")
        if lo.source is not None:
            lo.source.before_commit(table, f, feeder)
        self.send(f"{ledger}COMMIT;\n{self.client.marker(f['path'])}\n")
        self._wait(f["path"])

    def _source(self, f: dict):
        """The path the client reads, and the feeder of its pipe for a compressed part (else None).

        specgen decompresses itself into a named pipe for every client: the clients' own ways
        (``FROM PROGRAM``, ``"|zstd -dc"``) would not all notice a truncated file, and LOAD DATA
        and ``\\i`` have none. ``load`` commits a piped part only after the feeder succeeded.
        """
        path = f["path"]
        compressed = bool(self.loader.suffix and path.endswith(self.loader.suffix))
        if not compressed and not f.get("sha256"):
            return path, None
        # Uncompressed parts go through the pipe too: a part cut at a row boundary loads without
        # complaint, so every byte is counted and hashed on its way to the client, and the part
        # is committed only if its size and sha256 are the manifest's.
        import tempfile

        if self._fifo_dir is None:
            from specgen import stopping

            self._fifo_dir = tempfile.mkdtemp(prefix="specgen-load-")
            stopping.remember(self._fifo_dir)
        fifo = os.path.join(self._fifo_dir, f"part-{abs(hash(path))}.pipe")
        if os.path.exists(fifo):
            os.unlink(fifo)
        os.mkfifo(fifo, 0o600)
        self._pipes[fifo] = path
        return fifo, Feeder(self.loader.dir / path, fifo, self.loader.suffix if compressed else "", f.get("sha256"),
                             None if compressed else f.get("bytes"))

    def _wait(self, part: str) -> None:
        for line in self.proc.stdout:
            if line.startswith(MARKER):
                if line[len(MARKER):].strip() == part:
                    return
        self._fail()

    def _fail(self):
        rc = self.proc.wait()
        self._err.join(timeout=5)
        err = self.client.clean("".join(self.stderr))
        for fifo, path in self._pipes.items():
            err = err.replace(fifo, path)
        raise ClientError(f"{self.client.program} failed while loading into {self.loader.url.redacted()}: "
                          f"{err or f'exit code {rc}'}")

    def abandon(self) -> None:
        """Close a session whose client failed (or that is given up), without raising again."""
        self.__exit__(ClientError, None, None)

    def __exit__(self, *exc):
        try:
            if self.proc and self.proc.poll() is None:
                if exc[0] is not None and not issubclass(exc[0], ClientError):
                    self.proc.terminate()  # stopped (a signal, an error here): its transaction rolls back
                with contextlib.suppress(OSError):
                    self.proc.stdin.close()
                self.proc.wait()
        finally:
            self._stack.close()
            if self._fifo_dir:
                import shutil

                from specgen import stopping

                stopping.forget(self._fifo_dir)
                shutil.rmtree(self._fifo_dir, ignore_errors=True)
        if exc[0] is None and self.proc.returncode not in (0, None):
            self._fail()
        return False


class Feeder(threading.Thread):
    """Decompresses a part into a named pipe while the client reads it, and checks the part's
    sha256 against the manifest on the way (a truncated stream decompresses without complaint)."""

    def __init__(self, src: Path, fifo: str, suffix: str, sha256: str | None, size: int | None = None):
        super().__init__(daemon=True)
        self.src, self.fifo, self.suffix, self.sha256, self.size = src, fifo, suffix, sha256, size
        self.verb = "decompress" if suffix else "load"  # for the message of a part that fails
        self.error: BaseException | None = None

    def run(self) -> None:
        import hashlib

        digest = hashlib.sha256()

        class Hashed:  # the compressed bytes, hashed as the decompressor reads them
            def __init__(self, f):
                self.f = f
                self.bytes = 0

            def read(self, n=-1):
                data = self.f.read(n)
                digest.update(data)
                self.bytes += len(data)
                return data

        try:
            with open(self.fifo, "wb") as out, open(self.src, "rb") as raw:
                src = Hashed(raw)
                if not self.suffix:
                    import shutil

                    shutil.copyfileobj(src, out, 1 << 20)
                elif self.suffix == ".zst":
                    import zstandard

                    zstandard.ZstdDecompressor().copy_stream(src, out)
                else:
                    import gzip
                    import shutil

                    with gzip.GzipFile(fileobj=src, mode="rb") as f:
                        shutil.copyfileobj(f, out, 1 << 20)
                while src.read(1 << 20):  # anything after the stream still counts for the checksum
                    pass
            if self.size is not None and src.bytes != self.size:
                raise SpecgenError(f"{self.src.name}: {src.bytes:,} bytes where the manifest has {self.size:,} "
                                   "(damaged or truncated file)")
            if self.sha256 and digest.hexdigest() != self.sha256:
                raise SpecgenError(f"{self.src.name}: sha256 differs from the manifest (damaged or truncated file)")
        except BaseException as exc:  # noqa: BLE001 - reported by the session
            self.error = exc
