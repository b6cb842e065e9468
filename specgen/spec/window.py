"""Where the data's time window ends: a profile's ``window.end``, or ``--as-of`` for one run.

Every timestamp a spec generates is placed relative to the window (``[end - days, end]``, plus
the offsets of expiry dates), so moving the end moves all of them together. By default the end is
the profile's fixed instant, so dumps are reproducible; ``--as-of DATE`` (``as_of=`` in the API)
or ``window: {end: now, ...}`` in a profile makes the data's recent activity recent.

Accepted values: an ISO-8601 date (its midnight UTC) or time (UTC when it has no offset;
fractions of a second dropped), or ``now``: the current time truncated to the whole minute. A
minute loses less freshness than a load takes, and two runs started in the same minute (a
compile and its rerun, shards started together) write the same bytes. ``now`` is resolved once
per run and recorded, like any end, in the manifest's ``window``.

The window is kept inside what every database takes (1900-01-01 to 9999-12-31), counting the
offsets by which a spec set's times may leave it.
"""

from __future__ import annotations

import datetime as dt
import time

from specgen.errors import SpecgenError

NOW = "now"
# ``now`` is truncated to a multiple of this many seconds.
NOW_STEP = 60
EARLIEST = -2208988800  # 1900-01-01T00:00:00Z
LATEST = 253402300799  # 9999-12-31T23:59:59Z
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EXAMPLES = "e.g. 2026-03-01, 2026-03-01T12:00:00Z, or now"


def parse(text: str) -> int:
    """An ISO-8601 date or time -> epoch seconds; ``ValueError`` if it is neither."""
    t = dt.datetime.fromisoformat(str(text).strip())
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return (t - _EPOCH) // dt.timedelta(seconds=1)


_clock = time.time  # what ``now`` reads (tests replace it)


def now() -> int:
    """The current time, truncated to the whole minute."""
    t = int(_clock())
    return t - t % NOW_STEP


def is_now(value) -> bool:
    return isinstance(value, str) and value.strip().lower() == NOW


def resolve(value) -> int | None:
    """An ``as_of`` value as epoch seconds (None stays None: the profile's end applies).

    Takes ``now``, ISO-8601 text, a ``datetime`` (naive: UTC), a ``date`` (its midnight UTC) or
    epoch seconds; raises ``SpecgenError`` naming ``--as-of`` otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise SpecgenError(f"--as-of {value!r}: not a date or time ({EXAMPLES}).")
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        return parse(value.isoformat())
    if isinstance(value, dt.date):
        return parse(value.isoformat())
    if is_now(value):
        return now()
    try:
        return parse(value)
    except (ValueError, TypeError):
        raise SpecgenError(f"--as-of '{value}': not an ISO-8601 date or time ({EXAMPLES}).") from None


def iso(epoch: int) -> str:
    """Epoch seconds as ``2026-01-01T00:00:00Z`` (as the manifest writes them)."""
    try:
        return (_EPOCH + dt.timedelta(seconds=epoch)).strftime("%Y-%m-%dT%H:%M:%SZ")
    except OverflowError:
        return f"{epoch} s after 1970-01-01"


def reach(tables) -> tuple[int, int]:
    """Seconds by which the model's times may lie before the window's start and past its end:
    the offsets of timestamps that count from another time and are not kept inside the window
    (``bounded`` or ``before``). Summed, as such times may count from one another."""
    from specgen.engine import generators as gens

    back = forward = 0
    for t in tables.values():
        for c in t.columns.values():
            if c.gen is None:
                continue
            for _, g in gens.walk(c.gen):
                if isinstance(g, gens.Timestamp) and g.offset is not None and not (g.bounded or g.before):
                    back += max(0, -g.offset[0])
                    forward += max(0, g.offset[1])
    return back, forward


def problem(end: int, days: float, tables) -> str | None:
    """Why a window ending at ``end`` cannot be generated, or None."""
    start = end - int(days * 86400)
    back, forward = reach(tables)
    if start - back < EARLIEST:
        extra = f" (and times up to {_days(back)} before it)" if back else ""
        return (f"the window of {days:g} days would start at {iso(start)}{extra}, before 1900-01-01, "
                "the earliest time specgen writes (databases disagree on older ones); choose a later end")
    if end + forward > LATEST:
        extra = f" and times up to {_days(forward)} past it (the spec set's offsets: expiry dates)" if forward else ""
        return (f"the window would end at {iso(end)}{extra}, past 9999-12-31T23:59:59Z, the latest time "
                "databases take; choose an earlier end")
    return None


def _days(seconds: int) -> str:
    return f"{round(seconds / 86400, 1):g} days"


__all__ = ["NOW", "is_now", "iso", "now", "parse", "problem", "reach", "resolve"]
