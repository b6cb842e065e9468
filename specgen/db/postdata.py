"""post_data.sql as steps, and the steps shared among parallel sessions.

A fresh load adds keys, indexes, foreign keys and identity counters after the data, from
``post_data.sql``; the template marks each statement with a ``-- specgen-step:`` line naming its
phase and table (docs/output-format.md), so ``load --jobs N`` can run one table's steps as soon
as its data is in and spread the rest over N sessions.
"""

from __future__ import annotations

from typing import NamedTuple

from specgen.errors import parse_json


def balance(costs: list[int], n: int) -> list[list[int]]:
    """Positions of ``costs`` in at most ``n`` groups of about equal total: the costliest first,
    each onto the least loaded group; positions ascend within a group, empty groups are left out."""
    load = [0] * max(1, n)
    groups: list[list[int]] = [[] for _ in load]
    for i in sorted(range(len(costs)), key=lambda i: -costs[i]):
        k = load.index(min(load))
        groups[k].append(i)
        load[k] += costs[i]
    return [sorted(g) for g in groups if g]


STEP_PREFIX = "-- specgen-step: "
# With --jobs, a table with at least this much data has its key and index steps run as separate
# tasks (parallel index builds); smaller tables are bundled.
BIG_TABLE_BYTES = 64 << 20


class PostDataSteps(NamedTuple):
    """post_data.sql cut at its ``-- specgen-step:`` lines."""

    prelude: str  # what precedes the first step
    keys: dict[str, list[str]]  # each table's key and index steps, in file order
    foreign_keys: str  # the foreign-key steps
    end: str  # what follows the last step
    identity: dict[str, str]  # each table's identity counter step
    rest: str  # the file without its identity steps


def post_data_steps(text: str) -> PostDataSteps | None:
    """post_data.sql cut at its ``-- specgen-step:`` lines; None for a file without steps (written
    by a template that does not mark them)."""
    prelude: list[str] = []
    keys: dict[str, list[list[str]]] = {}
    foreign_keys: list[str] = []
    end: list[str] = []
    identity: dict[str, list[str]] = {}
    rest: list[str] = []
    current: list[str] | None = None
    in_identity = False
    for line in text.splitlines(keepends=True):
        if line.startswith(STEP_PREFIX):
            step = parse_json(line[len(STEP_PREFIX):], "post_data.sql")
            phase = step.get("phase")
            in_identity = phase == "identity"
            if phase == "keys":
                current = []
                keys.setdefault(step["table"], []).append(current)
            elif phase == "foreign_keys":
                current = foreign_keys
            elif in_identity:
                current = identity.setdefault(step["table"], [])
            else:
                current = end
        (prelude if current is None else current).append(line)
        if not in_identity:
            rest.append(line)
    if current is None:
        return None
    return PostDataSteps("".join(prelude), {t: ["".join(step) for step in steps] for t, steps in keys.items()},
                         "".join(foreign_keys), "".join(end), {t: "".join(lines) for t, lines in identity.items()},
                         "".join(rest))


def key_tasks(keys: dict[str, list[str]], size: dict[str, int], jobs: int) -> list[str]:
    """The key and index steps of ``keys`` (each table's, in file order) as the scripts of at
    most ``jobs`` parallel sessions, the biggest first.

    The steps of a big table (``size``: its bytes) are tasks of their own, so several sessions
    build its indexes at once (the database's locks order what cannot overlap, such as a primary
    key and an index of the same table; a step holds one table's lock, so they never deadlock);
    small tables go in at most ``jobs`` bundles, saving client start-ups."""
    big = [t for t in keys if size.get(t, 0) >= BIG_TABLE_BYTES] if jobs > 1 else []
    small = [t for t in keys if t not in big]
    tasks = [(size[t], step) for t in big for step in keys[t]]
    for group in balance([size.get(t, 0) for t in small], jobs):
        tasks.append((sum(size.get(small[i], 0) for i in group), "".join(s for i in group for s in keys[small[i]])))
    tasks.sort(key=lambda task: -task[0])  # stable: a table's steps keep their order
    return [sql for _, sql in tasks]
