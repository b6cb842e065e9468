"""The ``specgen`` command (and ``python -m specgen``)."""

import os


def run() -> None:
    # One polars thread per process unless told otherwise: specgen works in parallel with
    # processes (--workers, each single-threaded); within one process polars' thread pool costs
    # more than it gives on specgen's batches (it starts threads a small run never repays, and a
    # big one-worker compile runs no faster). Read by polars when it is imported.
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    _one_malloc_arena()
    from specgen.cli import run as main

    main()


def _one_malloc_arena() -> None:
    """The command's threads share glibc's one malloc arena. The plan counts a big table's
    parents on a thread per core, and the numpy arrays a thread frees stay in its own arena, out
    of reach of the other threads: planning ``massive`` peaked at 1.12 GB instead of 0.88 (one
    arena is no slower). polars allocates through its own allocator; elsewhere this is a no-op."""
    import ctypes

    M_ARENA_MAX = -8
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)
    except (OSError, AttributeError):  # not glibc
        pass


if __name__ == "__main__":
    run()
