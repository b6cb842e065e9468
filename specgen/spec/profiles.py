"""Profiles: one with its ``extends`` chain applied, and the time window its data ends in."""

from __future__ import annotations

from dataclasses import replace

from specgen.engine.model import Model, Profile, TableSpec
from specgen.errors import Diagnostic, SpecgenError, did_you_mean
from specgen.spec import window
from specgen.spec.documents import Document, SpecSet, display, schema_errors, value_errors


def resolve_profile(ss: SpecSet, name: str) -> tuple[Profile | None, list[Diagnostic]]:
    """A profile with its ``extends`` chain applied."""
    if name not in ss.profiles:
        d = Diagnostic(display(ss.dir / "profiles"), 0, 0, "",
                       f"unknown profile '{name}' (have: {', '.join(ss.profile_names()) or 'none'})." +
                       did_you_mean(name, ss.profiles))
        return None, [d]
    chain, seen = [], set()
    cur = name
    errors: list[Diagnostic] = []
    while cur is not None:
        if cur in seen:
            doc = ss.profiles[name]
            errors.append(doc.marks.diag(("extends",), "profile 'extends' chain loops: " + " -> ".join([*chain, cur])))
            return None, errors
        seen.add(cur)
        doc = ss.profiles.get(cur)
        if doc is None:
            prev = ss.profiles[chain[-1]]
            errors.append(prev.marks.diag(("extends",), f"unknown profile '{cur}'." + did_you_mean(cur, ss.profiles)))
            return None, errors
        errs = schema_errors(doc, "profile")
        if not errs:
            value_errors(doc, doc.data, errs)
        if errs:
            return None, errs
        chain.append(cur)
        cur = doc.data.get("extends") if isinstance(doc.data, dict) else None
    merged: dict = {"params": {}}
    for prof in reversed(chain):
        data = ss.profiles[prof].data or {}
        for k, v in data.items():
            if k == "params":
                merged["params"].update(v or {})
            elif k != "extends":
                merged[k] = v
    doc = ss.profiles[name]
    if "window" not in merged:
        return None, [doc.marks.diag((), "profile has no 'window' (and none is inherited through 'extends')")]
    end, err = _window_end(_window_doc(ss, chain))
    if err is not None:
        return None, [err]
    return Profile(
        name=name,
        file=doc.name,
        seed=int(merged.get("seed", 0)),
        window_end=end,
        window_days=float(merged["window"]["days"]),
        params=merged["params"],
        chunk_rows=int(merged.get("chunk_rows", 1_000_000)),
        description=merged.get("description", ""),
    ), []


def _window_doc(ss: SpecSet, chain: list[str]) -> Document:
    """The profile of ``chain`` (the profile first, then what it extends) whose window applies."""
    return next(ss.profiles[p] for p in chain if "window" in (ss.profiles[p].data or {}))


def _window_end(doc: Document) -> tuple[int | None, Diagnostic | None]:
    """``window.end`` as epoch seconds (None: ``now``), or the diagnostic of a value that is not
    an instant, located where it is written."""
    text = doc.data["window"]["end"]
    if window.is_now(text):
        return None, None
    try:
        return window.parse(text), None
    except ValueError:
        return None, doc.marks.diag(("window", "end"), f"not an ISO-8601 date or time: '{text}' ({window.EXAMPLES})")


def window_errors(ss: SpecSet, prof: Profile, tables: dict[str, TableSpec]) -> list[Diagnostic]:
    """A fixed window end (or ``now``, today) that would put times outside what databases take."""
    end = window.now() if prof.window_end is None else prof.window_end
    why = window.problem(end, prof.window_days, tables)
    if why is None:
        return []
    chain, cur = [], prof.name
    while cur is not None and cur not in chain:  # the chain is known to be sound here
        chain.append(cur)
        cur = (ss.profiles[cur].data or {}).get("extends")
    return [_window_doc(ss, chain).marks.diag(("window", "end"), why)]


def at_window_end(model: Model, as_of: int | None) -> Model:
    """``model`` with its window ending at ``as_of`` (epoch seconds), or, when None, at the
    profile's end (``now`` resolved here). Applied after the model cache, so the cache serves
    every window."""
    p = model.profile
    if as_of is None and p.window_end is not None:
        return model
    end = window.now() if as_of is None else as_of
    why = window.problem(end, p.window_days, model.tables)
    if why is not None:
        where = f"--as-of {window.iso(end)}" if as_of is not None else f"{p.file}: window.end: now"
        raise SpecgenError(f"{where}: {why}.")
    if end == p.window_end:
        return model
    return replace(model, profile=replace(p, window_end=end))
