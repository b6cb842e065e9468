"""The ``specgen`` command (and ``python -m specgen``)."""

import os


def run() -> None:
    # One polars thread per process unless told otherwise: specgen works in parallel with
    # processes (--workers, each single-threaded); within one process polars' thread pool costs
    # more than it gives on specgen's batches (it starts threads a small run never repays, and a
    # big one-worker compile runs no faster). Read by polars when it is imported.
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    from specgen.cli import run as main

    main()


if __name__ == "__main__":
    run()
