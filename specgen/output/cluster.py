"""Dask: the same pure part tasks on a ``dask.distributed`` cluster.

``specgen compile --executor dask`` starts a ``LocalCluster`` (one worker process per core, one
thread each, polars single-threaded); ``--scheduler tcp://HOST:PORT`` connects to a running
cluster instead. Either way the compile sees a ``concurrent.futures``-style executor
(``DaskExecutor``): tasks are ``write.write_part(job, table, part)``, each worker writes its own
part files to the destination (a shared path or an object store URL), and the client collects
the results and writes the manifest.

Workers on other machines need not have the spec directory: the job carries the spec set
(``ships_specs``) and is scattered to every worker once (``share``), not sent with each task.
"""

from __future__ import annotations

import contextlib
import logging

from specgen.errors import SpecgenError

CONNECT_TIMEOUT = "20s"


class DaskExecutor:
    """``submit``/futures over a Dask client, plus what the compile asks of remote executors."""

    ships_specs = True  # workers may be on machines without the spec directory

    def __init__(self, client):
        self.client = client
        self._executor = client.get_executor(pure=False)  # every task writes a file: never deduplicate

    @property
    def workers(self) -> int:
        """Threads in the cluster (for how many tasks to keep in flight)."""
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, fn, *args):
        return self._executor.submit(fn, *args)

    def share(self, obj):
        """``obj`` sent to every worker once; tasks receive it through the returned future."""
        return self.client.scatter(obj, broadcast=True, hash=False)

    def shutdown(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait)


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise SpecgenError(f"Dask is not installed ({exc}): pip install 'specgen[cluster]' "
                           "(dask[distributed]) on the client and on every worker.") from None
    return distributed


@contextlib.contextmanager
def dask_executor(scheduler: str | None = None, workers: int | None = None):
    """A ``DaskExecutor`` on the cluster at ``scheduler``, or on a new local cluster of ``workers``
    single-threaded worker processes (default: one per core)."""
    distributed = _distributed()
    cluster = None
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SpecgenError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    else:
        from specgen.output.compile import default_workers

        # One process per core, one thread each; polars reads POLARS_MAX_THREADS at import, so it
        # goes into the environment the nanny starts the worker process with.
        cluster = distributed.LocalCluster(
            n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
            dashboard_address=None, silence_logs=logging.ERROR, env={"POLARS_MAX_THREADS": "1"})
        client = distributed.Client(cluster)
    try:
        yield DaskExecutor(client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
