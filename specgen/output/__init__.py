"""Rows out: a plan becomes part files and a manifest, or one SQL stream.

``encode`` turns a batch of columns into CSV or SQL bytes; ``worker`` holds the pure part tasks
any executor runs; ``compile`` orchestrates a directory or a stream; ``destination`` writes
atomically to a directory or an fsspec URL; ``manifest`` records what was written and the facts
``verify`` checks; ``shards`` splits a compile across machines; ``cluster`` runs tasks on Dask.
May import ``engine``, ``spec`` and ``sql``.
"""
