"""The engine: pure, vectorised generation - no I/O, and no import of any other specgen package.

Every cell is a function of (seed, table, column, row index): ``counter`` makes the random
numbers, ``distributions`` and ``generators`` turn them into values, ``fanout`` says which parent
each child row has, ``plan`` counts every table exactly before a value exists, and ``rows``
computes the columns of any set of row indices. ``model`` is its input, built by ``specgen.spec``.

The names below are the engine's entry points (``from specgen import engine; engine.generate``).
"""

from specgen.engine.rows import BATCH_ROWS, Rows, batches, generate, generate_at

__all__ = ["BATCH_ROWS", "Rows", "batches", "generate", "generate_at"]
