"""The ``specgen`` command (and ``python -m specgen``)."""

import os


def run() -> None:
    # One polars thread per process unless told otherwise: specgen works in parallel with
    # processes (--workers, each single-threaded); within one process polars' thread pool costs
    # more than it gives on specgen's batches (generate --profile small: ~0.15 s of ~1.6 s; a
    # 5.7M-row compile with one worker: the same speed). Read by polars when it is imported.
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    from specgen.cli import run as main

    main()


if __name__ == "__main__":
    run()
