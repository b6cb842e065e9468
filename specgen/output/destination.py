"""Where a compile writes: a local directory or any fsspec URL (``s3://``, ``gs://``, ``memory://``...).

Every file appears complete or not at all:

* local paths (and ``file://`` URLs): a temporary name in the final directory, then
  ``os.replace`` - an atomic rename on one filesystem;
* object stores (S3, GCS, Azure, ...): an object becomes visible when its upload completes, so
  the file is opened with ``autocommit=False`` and committed after the last byte, or discarded;
* any other filesystem (``memory://``, SFTP, ...): a temporary name, then ``mv``.

Bulk files written locally (``atomic(..., drop_behind=True)``: the data parts) leave the page cache
as they are written: every ``DROP_STEP`` bytes the kernel is asked to start writing the file back
and to forget its clean pages (``posix_fadvise(DONTNEED)``), and the previous such file is forgotten
when the next is complete. A compile of tens or hundreds of GB then neither evicts what else the
machine caches (a database server on the same host) nor keeps asking for fresh memory: on a VM
whose host backs guest memory lazily (free page reporting), growing the page cache by 10 GB cost
15-23 s of kernel time against 3 s when the same pages are recycled.

A ``Destination`` is rebuilt from its URL in each worker process (``Destination.of``), so tasks
only carry a string. Cluster workers need a destination they all reach: an object store, or a
path on shared storage.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from specgen.errors import SpecgenError

# Protocols whose writes become visible only when the upload completes.
OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss"}


def is_url(target: str | os.PathLike) -> bool:
    return "://" in str(target)


def require_local(target: str | os.PathLike, command: str) -> Path:
    """``target`` as a local directory; a clear error for a URL (the loader runs local clients)."""
    s = str(target)
    if s.startswith("file://"):
        return Path(s[len("file://"):])
    if is_url(s):
        raise SpecgenError(f"{s}: specgen {command} reads local directories only (the database clients read "
                           f"local files). Copy the dump to this machine first (e.g. `aws s3 sync s3://... ./dump`, "
                           f"`gcloud storage rsync -r gs://... ./dump`), then run `specgen {command} ./dump`.")
    return Path(s)


DROP_STEP = 32 << 20
_DROP = getattr(os, "POSIX_FADV_DONTNEED", None)


def _forget(path) -> None:
    """Ask the kernel to drop a file's clean cached pages (and start writing back dirty ones)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, _DROP)
        finally:
            os.close(fd)


class _DropBehind:
    """A local file that leaves the page cache as it is written (see the module's docstring)."""

    last: Path | None = None  # the previous file written this way in this process, to forget later

    def __init__(self, f):
        self.f = f
        self.since = 0
        self.dropped = False

    def write(self, data) -> int:
        n = self.f.write(data)
        self.since += len(data)
        if self.since >= DROP_STEP:
            self.f.flush()
            with contextlib.suppress(OSError):
                os.posix_fadvise(self.f.fileno(), 0, 0, _DROP)
            self.since, self.dropped = 0, True
        return n

    def flush(self) -> None:
        self.f.flush()

    def finished(self, path: Path) -> None:
        """The file is complete under ``path``: start its write-back, forget the previous file."""
        if not self.dropped:  # small files stay cached: not worth a system call
            return
        _forget(path)
        if _DropBehind.last is not None:
            _forget(_DropBehind.last)
        _DropBehind.last = path


class Destination:
    """A directory on some filesystem, addressed with paths relative to it (``data/t/part-00000.csv``)."""

    _cache: dict[str, Destination] = {}

    def __init__(self, target: str | os.PathLike):
        target = str(target)
        self.local: Path | None = None
        if not is_url(target) or target.startswith("file://"):
            self.local = Path(os.path.abspath(target[len("file://"):] if target.startswith("file://") else target))
            self.url = str(self.local)
            self.fs = None
            self.root = str(self.local)
            self.protocol = "file"
            return
        try:
            import fsspec
        except ImportError as exc:  # pragma: no cover - fsspec is a dependency
            raise SpecgenError(f"{target}: writing to URLs needs fsspec ({exc})") from None
        try:
            self.fs, root = fsspec.core.url_to_fs(target)
        except (ImportError, ValueError) as exc:
            raise SpecgenError(f"{target}: no filesystem for this URL ({exc}); install its fsspec backend "
                               "(s3fs for s3://, gcsfs for gs://, adlfs for az://)") from None
        protocol = self.fs.protocol
        self.protocol = protocol if isinstance(protocol, str) else protocol[0]
        if self.protocol in ("file", "local"):  # e.g. local:// or a chained local URL
            self.__init__(root)
            return
        self.root = root.rstrip("/")
        self.url = target.rstrip("/")

    @classmethod
    def of(cls, target: str | os.PathLike) -> Destination:
        """The destination for ``target``, built once per process (filesystem clients are costly)."""
        key = str(target)
        if not is_url(key):  # a relative path names another directory after a chdir
            key = os.path.abspath(key)
        d = cls._cache.get(key)
        if d is None:
            d = cls._cache[key] = cls(target)
        return d

    def __str__(self) -> str:
        return self.url

    @property
    def in_process(self) -> bool:
        """True when only this process can see the files (``memory://``): no worker processes."""
        return self.protocol == "memory"

    def _path(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def _inside(self, rel: str) -> str:
        """``rel`` when it names a place inside this directory; written names come from manifests
        and dialect profiles, which must not lead a write (or a removal) anywhere else."""
        segs = rel.split("/") if rel else []
        if rel.startswith("/") or "\\" in rel or "\0" in rel or any(s in ("..", ".") for s in segs) \
                or any(s == "" for s in segs[:-1]):
            raise SpecgenError(f"{self}: refusing to write '{rel}': not a path inside this directory")
        return rel

    # -- writing ------------------------------------------------------------------------------------

    def makedirs(self, rel: str = "") -> None:
        self._inside(rel)
        if self.local is not None:
            (self.local / rel).mkdir(parents=True, exist_ok=True)
        elif self.protocol not in OBJECT_STORES:  # object stores have no directories
            self.fs.makedirs(self._path(rel), exist_ok=True)

    @contextlib.contextmanager
    def atomic(self, rel: str, drop_behind: bool = False):
        """A binary file to write ``rel`` through; it appears under its name only after a clean exit.
        ``drop_behind``: a bulk file, kept out of the page cache (local files; see the module doc)."""
        parent, _, name = self._inside(rel).rpartition("/")
        tmp_name = f".{name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp_rel = f"{parent}/{tmp_name}" if parent else tmp_name
        if self.local is not None:
            from specgen import stopping

            path, tmp = self.local / rel, self.local / tmp_rel
            path.parent.mkdir(parents=True, exist_ok=True)
            stopping.remember(tmp)  # removed if a signal stops the process
            try:
                with open(tmp, "wb") as f:
                    w = _DropBehind(f) if drop_behind and _DROP is not None else None
                    yield w or f
                os.replace(tmp, path)
                if w is not None:
                    w.finished(path)
            except BaseException as exc:
                tmp.unlink(missing_ok=True)
                if isinstance(exc, OSError) and exc.filename is None:  # a full disk, a size limit: say which file
                    raise OSError(exc.errno, exc.strerror, str(path)) from exc
                raise
            finally:
                stopping.forget(tmp)
            return
        if self.protocol in OBJECT_STORES:
            f = self.fs.open(self._path(rel), "wb", autocommit=False)
            try:
                yield f
                f.close()
                f.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    f.close()
                    f.discard()
                raise
            return
        self.makedirs(parent)
        tmp = self._path(tmp_rel)
        try:
            with self.fs.open(tmp, "wb") as f:
                yield f
            self.fs.mv(tmp, self._path(rel))
        except BaseException:
            with contextlib.suppress(Exception):
                self.fs.rm(tmp)
            raise

    def write_bytes(self, rel: str, data: bytes) -> None:
        with self.atomic(rel) as f:
            f.write(data)

    def write_text(self, rel: str, text: str) -> None:
        self.write_bytes(rel, text.encode())

    def remove(self, rel: str) -> None:
        """Remove a file if it exists."""
        self._inside(rel)
        if self.local is not None:
            (self.local / rel).unlink(missing_ok=True)
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self._path(rel))

    # -- reading ------------------------------------------------------------------------------------

    def read_bytes(self, rel: str) -> bytes:
        if self.local is not None:
            return (self.local / rel).read_bytes()
        return self.fs.cat_file(self._path(rel))

    def exists(self, rel: str) -> bool:
        if self.local is not None:
            return (self.local / rel).exists()
        return self.fs.exists(self._path(rel))

    def size(self, rel: str) -> int | None:
        """Size in bytes, None when absent."""
        if self.local is not None:
            try:
                return (self.local / rel).stat().st_size
            except FileNotFoundError:
                return None
        try:
            return int(self.fs.size(self._path(rel)))
        except FileNotFoundError:
            return None

    def listdir(self, rel: str = "") -> list[str]:
        """Names of the files directly in ``rel`` (empty when it does not exist)."""
        if self.local is not None:
            d = self.local / rel
            return sorted(p.name for p in d.iterdir() if p.is_file()) if d.is_dir() else []
        self.fs.invalidate_cache(self._path(rel))  # other processes (workers) may have written there
        try:
            entries = self.fs.ls(self._path(rel), detail=True)
        except FileNotFoundError:
            return []
        return sorted(e["name"].rstrip("/").rpartition("/")[2] for e in entries if e.get("type") == "file")

    @contextlib.contextmanager
    def open_read(self, rel: str):
        if self.local is not None:
            with open(self.local / rel, "rb") as f:
                yield f
        else:
            with self.fs.open(self._path(rel), "rb") as f:
                yield f
