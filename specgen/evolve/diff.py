"""``specgen diff BASE [HEAD]``: what a change to a spec set does, before anything is written.

BASE and HEAD are spec directories or git revisions (a revision's spec directory is read with
``git archive`` into a temporary directory); HEAD defaults to the working tree. For one profile:

* the schema: tables and columns added, removed or changed (type, nullability, generator,
  distribution, keys), and the DDL of each dialect as a unified diff;
* the plan: rows per table before and after;
* the values: every common column generated on the same deterministic sample of rows on both
  sides and compared - since every cell is a function of (seed, table, column, row), a column
  whose values differ is one the change touches, and one that does not, is not;
* the part files: for plans up to ``FULL_ROWS`` rows the profile is compiled in memory on both
  sides and each part's sha256 compared; above, a part counts as changed when its row count or
  any of its sampled rows differs.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import os
import subprocess
import tarfile
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from specgen.errors import SpecErrors, SpecgenError

DIALECTS = ("sqlite", "postgres", "mysql")
TITLES = {"sqlite": "SQLite", "postgres": "PostgreSQL", "mysql": "MySQL/MariaDB"}
# Plans up to this many rows are compiled in memory to hash every part file (gateway `small`:
# 70K rows, about a second per side); bigger ones are compared on sampled rows.
FULL_ROWS = 250_000
SAMPLE_ROWS = 256  # rows of each table compared (first, last and evenly spread)
PART_SAMPLE = 16  # rows of each part compared in the sampled mode


# -- the two sides -----------------------------------------------------------------------------------


@dataclass
class Side:
    label: str  # as the user named it: a directory, a revision, "working tree"
    dir: Path  # the spec directory to read
    revision: str | None = None  # the commit, for a revision


def _git(args: list[str], cwd: Path | None = None, binary: bool = False):
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=not binary)
    except FileNotFoundError:
        raise SpecgenError("git is not installed: BASE and HEAD must then be spec directories") from None


def resolve(ref: str | None, spec_dir: Path, stack: contextlib.ExitStack) -> Side:
    """``ref``: None (the working tree's ``spec_dir``), a spec directory, or a git revision whose
    ``spec_dir`` (the same path inside the repository) is extracted into a temporary directory."""
    if ref is None:
        if not spec_dir.is_dir():
            raise SpecgenError(f"{spec_dir}: not a spec directory")
        return Side("working tree", spec_dir)
    if Path(ref).is_dir():
        return Side(ref, Path(ref))
    top = _git(["rev-parse", "--show-toplevel"], cwd=spec_dir if spec_dir.is_dir() else None)
    if top.returncode != 0:
        raise SpecgenError(f"'{ref}' is neither a spec directory nor a git revision (not inside a git repository)")
    root = Path(top.stdout.strip())
    commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=root)
    if commit.returncode != 0:
        raise SpecgenError(f"'{ref}' is neither a spec directory nor a git revision of {root}")
    try:
        rel = Path(os.path.relpath(spec_dir.resolve(), root.resolve()))
    except ValueError:
        rel = Path("..")
    if rel.parts and rel.parts[0] == "..":
        raise SpecgenError(f"{spec_dir} is outside the git repository {root}: give BASE as a directory")
    archive = _git(["archive", "--format=tar", commit.stdout.strip(), "--", rel.as_posix()], cwd=root, binary=True)
    if archive.returncode != 0:
        raise SpecgenError(f"revision '{ref}' has no {rel.as_posix()}/ ({archive.stderr.decode(errors='replace').strip()})")
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="specgen-diff-")))
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tmp, filter="data")
    return Side(ref, tmp / rel, commit.stdout.strip())


# -- the report ------------------------------------------------------------------------------------


@dataclass
class Report:
    base: Side
    head: Side
    profile: str
    dialect: str
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)  # {table, column|None, change, what: [...]}
    profile_changes: list[str] = field(default_factory=list)
    ddl: dict[str, str] = field(default_factory=dict)  # dialect -> unified diff ("" when equal)
    plan: list[dict] = field(default_factory=list)  # {table, before, after}
    values: list[dict] = field(default_factory=list)  # {table, column, state, rows, differ}
    parts: dict = field(default_factory=dict)  # {mode, total, changed: {table: [paths]}}

    def to_dict(self) -> dict:
        def side(s: Side) -> dict:
            return {"label": s.label, "revision": s.revision, "spec_dir": None if s.revision else str(s.dir)}

        before = sum(p["before"] or 0 for p in self.plan)
        after = sum(p["after"] or 0 for p in self.plan)
        return {
            "base": side(self.base), "head": side(self.head), "profile": self.profile, "dialect": self.dialect,
            "tables": {"added": self.tables_added, "removed": self.tables_removed},
            "changes": self.changes, "profile_changes": self.profile_changes, "ddl": self.ddl,
            "plan": {"tables": self.plan, "total_before": before, "total_after": after},
            "values": {"columns": self.values,
                       "changed": [f"{v['table']}.{v['column']}" for v in self.values if v["state"] == "changed"]},
            "parts": self.parts,
        }

    @property
    def changed_values(self) -> list[dict]:
        return [v for v in self.values if v["state"] == "changed"]

    def render(self, fmt: str = "text") -> str:
        """The report as ``text``, ``markdown`` or ``json`` (``render``)."""
        return render(self, fmt)


# -- comparing ---------------------------------------------------------------------------------------


def run(base: str, head: str | None, profile: str, spec_dir: str | Path, dialect: str = "sqlite",
        full_rows: int = FULL_ROWS) -> Report:
    if dialect not in DIALECTS:
        raise SpecgenError(f"unknown dialect '{dialect}' (choose from {', '.join(DIALECTS)})")
    with contextlib.ExitStack() as stack:
        spec_dir = Path(spec_dir)
        b = resolve(base, spec_dir, stack)
        h = resolve(head, spec_dir, stack)
        for s in (b, h):
            if not (s.dir / "profiles").is_dir():
                raise SpecgenError(f"{s.label}: {_shown(s, s.dir)} is not a spec directory (no profiles/)")
        plans = [_plan(s, profile) for s in (b, h)]
        docs = [_documents(s) for s in (b, h)]
        report = Report(b, h, profile, dialect)
        _schema(report, plans, docs)
        _profile(report, plans)
        for d in DIALECTS:
            report.ddl[d] = _ddl_diff(plans, d, b, h)
        _plan_rows(report, plans)
        _values(report, plans)
        total = max(plans[0].total_rows, plans[1].total_rows)
        if total <= full_rows:
            report.parts = _parts_full(plans, [b, h], dialect)
        else:
            report.parts = _parts_sampled(plans)
        return report


def _shown(side: Side, path: Path) -> str:
    return f"{side.label}:{path.name}" if side.revision else str(path)


def _plan(side: Side, profile: str):
    from specgen import spec

    try:
        return spec.build_plan(side.dir, profile)
    except SpecErrors as exc:
        text = str(exc)
        if side.revision:
            text = text.replace(os.path.relpath(side.dir), f"{side.label}:")
            text = text.replace(str(side.dir), f"{side.label}:")
        raise SpecgenError(f"{side.label}: the spec set does not validate under profile '{profile}':\n{text}") from None


def _documents(side: Side) -> dict[str, dict]:
    from specgen import spec

    ss = spec.load_spec_set(side.dir)
    return {d.data["table"]: d.data for d in ss.entities if isinstance(d.data, dict) and "table" in d.data}


def _short(value) -> str:
    text = json.dumps(value, default=str, sort_keys=False, separators=(", ", ": "))
    return text if len(text) <= 80 else text[:77] + "..."


COLUMN_KEYS = {"type": "type", "nullable": "nullability", "gen": "generator", "null_rate": "distribution",
               "null_when": "distribution", "references": "foreign key", "on_delete": "foreign key",
               "primary_key": "key", "unique": "key", "default": "default", "virtual": "virtual"}


def _schema(report: Report, plans, docs) -> None:
    bt, ht = plans[0].model.tables, plans[1].model.tables
    report.tables_added = [t for t in ht if t not in bt]
    report.tables_removed = [t for t in bt if t not in ht]
    for t in ht:
        if t not in bt:
            continue
        bd, hd = docs[0].get(t, {}), docs[1].get(t, {})
        bcols, hcols = bd.get("columns") or {}, hd.get("columns") or {}
        for c in hcols:
            if c not in bcols:
                report.changes.append({"table": t, "column": c, "change": "added",
                                       "what": [f"{hcols[c].get('type')}" + (" (virtual)" if hcols[c].get("virtual") else "")]})
        for c in bcols:
            if c not in hcols:
                report.changes.append({"table": t, "column": c, "change": "removed", "what": [str(bcols[c].get("type"))]})
        for c in hcols:
            if c in bcols and bcols[c] != hcols[c]:
                what = []
                for key in sorted(set(bcols[c]) | set(hcols[c])):
                    if bcols[c].get(key) != hcols[c].get(key):
                        label = COLUMN_KEYS.get(key, key)
                        what.append(f"{label}: {_short(bcols[c].get(key))} -> {_short(hcols[c].get(key))}")
                report.changes.append({"table": t, "column": c, "change": "changed", "what": what})
        table_what = []
        for key in sorted(set(bd) | set(hd)):
            if key in ("columns", "description"):
                continue
            if bd.get(key) != hd.get(key):
                label = {"parent": "parent / count", "rows": "rows"}.get(key, key)
                table_what.append(f"{label}: {_short(bd.get(key))} -> {_short(hd.get(key))}")
        if table_what:
            report.changes.append({"table": t, "column": None, "change": "changed", "what": table_what})


def _profile(report: Report, plans) -> None:
    bp, hp = plans[0].model.profile, plans[1].model.profile
    for k in sorted(set(bp.params) | set(hp.params)):
        if bp.params.get(k) != hp.params.get(k):
            report.profile_changes.append(f"${k}: {bp.params.get(k)} -> {hp.params.get(k)}")
    for label, x, y in (("seed", bp.seed, hp.seed), ("window end", bp.window_end, hp.window_end),
                        ("window days", bp.window_days, hp.window_days), ("chunk rows", bp.chunk_rows, hp.chunk_rows)):
        if x != y:
            report.profile_changes.append(f"{label}: {x} -> {y}")


def ddl_text(plan, dialect_name: str) -> str:
    """schema.sql and post_data.sql of ``plan`` for a dialect, without their headers."""
    from specgen.sql import ddl
    from specgen.sql import dialect as dialects

    d = dialects.load(dialect_name)
    tpl = ddl.Templates(d)
    tables = list(plan.model.tables)
    contexts = [ddl.table_context(plan, d, t, set(tables)) for t in tables]
    text = ddl.schema_sql(tpl, plan, contexts) + ddl.post_data_sql(tpl, plan, contexts)
    return "\n".join(line for line in text.splitlines()
                     if not line.startswith(("-- specgen ", "-- spec hash ", "-- specgen-step:")))


def _ddl_diff(plans, dialect: str, b: Side, h: Side) -> str:
    before, after = (ddl_text(p, dialect).splitlines() for p in plans)
    return "\n".join(difflib.unified_diff(before, after, f"{b.label} ({dialect})", f"{h.label} ({dialect})",
                                          n=1, lineterm=""))


def _plan_rows(report: Report, plans) -> None:
    bt, ht = plans[0].rows, plans[1].rows
    for t in [*ht, *(t for t in bt if t not in ht)]:
        report.plan.append({"table": t, "before": bt.get(t), "after": ht.get(t)})


def sample_positions(n: int, k: int = SAMPLE_ROWS) -> np.ndarray:
    """A deterministic sample of output positions in [0, n): the first and last rows and rows
    spread evenly between (the same for both sides of a diff)."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    edge = min(n, 16)
    spread = np.linspace(0, n - 1, max(2, k - 2 * edge)).astype(np.int64)
    return np.unique(np.concatenate([np.arange(edge), spread, np.arange(n - edge, n)])).astype(np.int64)


def _rows_at(plan, table: str, positions: np.ndarray):
    from specgen import engine

    return engine.generate_at(plan, table, plan.row_index(table, positions)).to_frame()


def _values(report: Report, plans) -> None:
    bp, hp = plans
    for t, hs in hp.model.tables.items():
        hstored = [c.name for c in hs.stored]
        if t not in bp.model.tables:
            report.values += [{"table": t, "column": c, "state": "new", "rows": 0, "differ": 0} for c in hstored]
            continue
        bstored = [c.name for c in bp.model.tables[t].stored]
        n = min(bp.rows[t], hp.rows[t])
        pos = sample_positions(n)
        bf = _rows_at(bp, t, pos) if len(pos) else None
        hf = _rows_at(hp, t, pos) if len(pos) else None
        for c in hstored:
            if c not in bstored:
                report.values.append({"table": t, "column": c, "state": "new", "rows": len(pos), "differ": len(pos)})
                continue
            differ = 0 if bf is None else _differing(bf[c], hf[c])
            report.values.append({"table": t, "column": c, "state": "changed" if differ else "same",
                                  "rows": len(pos), "differ": differ})
        report.values += [{"table": t, "column": c, "state": "removed", "rows": len(pos), "differ": len(pos)}
                          for c in bstored if c not in hstored]


def _differing(a, b) -> int:
    """Rows whose values differ (NULLs equal each other), comparing as text across types."""
    import polars as pl

    if a.dtype != b.dtype:
        a, b = a.cast(pl.Utf8, strict=False), b.cast(pl.Utf8, strict=False)
    same = (a == b).fill_null(False) | (a.is_null() & b.is_null())
    return int((~same).sum())


def _parts_full(plans, sides, dialect: str) -> dict:
    """Every part file compiled in memory on both sides, compared by sha256."""
    import fsspec

    from specgen import spec
    from specgen.output import compile as comp
    from specgen.spec import proofs
    from specgen.sql import dialect as dialects

    hashes = []
    for plan, side in zip(plans, sides, strict=True):
        url = f"memory://specgen-diff-{uuid.uuid4().hex}"
        try:
            # As `specgen compile` makes it (a plan without size estimates, the proofs checked).
            full = spec.build_plan(side.dir, plan.model.profile.name, estimate=False)
            proofs.check(full, list(full.rows))
            m = comp.compile_dir(full, dialects.load(dialect), url, comp.Options(workers=1))
        finally:
            fs = fsspec.filesystem("memory")
            with contextlib.suppress(FileNotFoundError):
                fs.rm(url.removeprefix("memory://"), recursive=True)
        hashes.append({f["path"]: f["sha256"] for e in m["tables"].values() for f in e["files"]})
    return _part_summary("full", *hashes)


def _parts_sampled(plans) -> dict:
    """Parts compared on a sample of their rows: changed when the row count or a sampled row differs."""
    bp, hp = plans
    sigs: list[dict[str, str]] = [{}, {}]
    for t in {*bp.rows, *hp.rows}:
        for k, plan in enumerate(plans):
            if t not in plan.rows:
                continue
            n, chunk = plan.rows[t], plan.chunk_rows
            parts = -(-n // chunk)
            starts = np.arange(parts, dtype=np.int64) * chunk
            sizes = np.minimum(chunk, n - starts)
            offsets = (np.linspace(0, 1, PART_SAMPLE)[None, :] * (sizes[:, None] - 1)).astype(np.int64)
            pos = np.unique((starts[:, None] + offsets).ravel()) if parts else np.zeros(0, dtype=np.int64)
            frame = _rows_at(plan, t, pos) if len(pos) else None
            for p in range(parts):
                lo, hi = np.searchsorted(pos, [starts[p], starts[p] + sizes[p]])
                digest = "" if frame is None else str(frame.slice(int(lo), int(hi - lo)).hash_rows(seed=0).to_list())
                sigs[k][f"data/{t}/part-{p:05d}"] = f"{sizes[p]}:{_stable_hash(digest)}"
    return _part_summary("sampled", *sigs)


def _stable_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _part_summary(mode: str, before: dict, after: dict) -> dict:
    def key(path: str) -> str:  # the part without its extension: the same part on both sides
        return path.rsplit(".", 1)[0] if mode == "full" else path

    b = {key(p): h for p, h in before.items()}
    a = {key(p): h for p, h in after.items()}
    changed: dict[str, list[str]] = {}
    for p in sorted(set(a) | set(b)):
        if a.get(p) != b.get(p):
            table = p.split("/")[1]
            state = "new" if p not in b else "gone" if p not in a else "changed"
            changed.setdefault(table, []).append(f"{p.split('/')[-1]} ({state})")
    return {"mode": mode, "total": len(set(a) | set(b)), "changed": changed,
            "changed_count": sum(len(v) for v in changed.values())}


# -- rendering -------------------------------------------------------------------------------------


def render(report: Report, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2)
    if fmt == "markdown":
        return _markdown(report)
    return _text(report)


def _pct(before, after) -> str:
    if before in (None, 0):
        return "new" if after else "0"
    if after is None:
        return "removed"
    return f"{(after - before) / before * 100:+.1f}%"


def _summary_counts(r: Report) -> dict:
    d = r.to_dict()
    return {
        "columns_added": sum(1 for c in r.changes if c["change"] == "added"),
        "columns_removed": sum(1 for c in r.changes if c["change"] == "removed"),
        "columns_changed": sum(1 for c in r.changes if c["change"] == "changed" and c["column"]),
        "tables_changed": sum(1 for c in r.changes if c["column"] is None),
        "rows_before": d["plan"]["total_before"], "rows_after": d["plan"]["total_after"],
        "values_changed": len(r.changed_values),
        "values_compared": sum(1 for v in r.values if v["state"] in ("same", "changed")),
        "tables_rows_changed": sum(1 for p in r.plan if p["before"] != p["after"]),
    }


def _headline(r: Report) -> str:
    c = _summary_counts(r)
    parts = []
    if r.tables_added or r.tables_removed:
        parts.append(f"tables +{len(r.tables_added)} -{len(r.tables_removed)}")
    parts.append(f"columns +{c['columns_added']} -{c['columns_removed']} ~{c['columns_changed']}")
    parts.append(f"rows {c['rows_before']:,} -> {c['rows_after']:,} ({_pct(c['rows_before'], c['rows_after'])})")
    parts.append(f"values change in {c['values_changed']} of {c['values_compared']} columns")
    parts.append(f"{r.parts.get('changed_count', 0)} of {r.parts.get('total', 0)} part files change"
                 + (" (sampled)" if r.parts.get("mode") == "sampled" else ""))
    return "; ".join(parts)


def _change_lines(r: Report) -> list[str]:
    out = [f"table added: {t}" for t in r.tables_added] + [f"table removed: {t}" for t in r.tables_removed]
    for c in r.changes:
        name = f"{c['table']}.{c['column']}" if c["column"] else c["table"]
        out.append(f"{c['change']}: {name}" + (f" ({'; '.join(c['what'])})" if c["what"] else ""))
    out += [f"profile: {p}" for p in r.profile_changes]
    return out


def _text(r: Report) -> str:
    lines = [f"diff {r.base.label} -> {r.head.label} (profile {r.profile}): {_headline(r)}", ""]
    changes = _change_lines(r)
    lines.append("schema:" if changes else "schema: no change")
    lines += [f"  {x}" for x in changes]
    moved = [p for p in r.plan if p["before"] != p["after"]]
    lines += ["", "plan:" if moved else "plan: no table changes its row count"]
    lines += [f"  {p['table']}: {p['before'] or 0:,} -> {p['after'] or 0:,} ({_pct(p['before'], p['after'])})" for p in moved]
    changed = r.changed_values
    new = [v for v in r.values if v["state"] in ("new", "removed")]
    same = sum(1 for v in r.values if v["state"] == "same")
    lines += ["", f"values (sampled rows): {same} columns unchanged, {len(changed)} changed, {len(new)} new or removed"]
    lines += [f"  changed: {v['table']}.{v['column']} ({v['differ']} of {v['rows']} sampled rows)" for v in changed]
    lines += [f"  {v['state']}: {v['table']}.{v['column']}" for v in new]
    parts = r.parts
    lines += ["", f"part files ({parts.get('mode')}, {r.dialect}): {parts.get('changed_count', 0)} of "
                  f"{parts.get('total', 0)} change"]
    lines += [f"  {t}: {', '.join(ps[:6])}{' ...' if len(ps) > 6 else ''}" for t, ps in parts.get("changed", {}).items()]
    for d in DIALECTS:
        if r.ddl.get(d):
            lines += ["", f"DDL ({TITLES[d]}):", r.ddl[d]]
    if not any(r.ddl.values()):
        lines += ["", "DDL: no change in any dialect"]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def _markdown(r: Report) -> str:
    c = _summary_counts(r)
    lines = [f"### Spec diff: `{r.base.label}` → `{r.head.label}` (profile `{r.profile}`)", "",
             f"{_md(_headline(r))}.", ""]
    touched = {x["table"] for x in r.changes} | set(r.tables_added) | set(r.tables_removed)
    touched |= {v["table"] for v in r.values if v["state"] != "same"}
    touched |= {p["table"] for p in r.plan if p["before"] != p["after"]}
    if touched:
        lines += ["| table | rows before | rows after | Δ | columns whose values change |", "|---|---:|---:|---:|---|"]
        shown = [p for p in r.plan if p["table"] in touched]
        for p in shown[:12]:
            cols = [v["column"] for v in r.values if v["table"] == p["table"] and v["state"] != "same"]
            colt = ", ".join(f"`{x}`" for x in cols[:5]) + (f" +{len(cols) - 5}" if len(cols) > 5 else "")
            lines.append(f"| `{p['table']}` | {p['before'] or 0:,} | {p['after'] or 0:,} | "
                         f"{_pct(p['before'], p['after'])} | {colt or '-'} |")
        if len(shown) > 12:
            lines.append(f"| ... {len(shown) - 12} more tables | | | | |")
        lines.append("")
    else:
        lines += ["Nothing changes: same schema, rows and values.", ""]
    changes = _change_lines(r)
    if changes:
        lines += [f"<details><summary>Schema changes ({len(changes)})</summary>", ""]
        lines += [f"- {_md(x)}" for x in changes] + ["", "</details>", ""]
    for d in DIALECTS:
        if r.ddl.get(d):
            lines += [f"<details><summary>DDL: {TITLES[d]}</summary>", "", "```diff", r.ddl[d], "```", "",
                      "</details>", ""]
    lines += [f"<details><summary>Plan: {c['rows_before']:,} → {c['rows_after']:,} rows "
              f"({c['tables_rows_changed']} tables change)</summary>", "",
              "| table | before | after | Δ |", "|---|---:|---:|---:|"]
    lines += [f"| `{p['table']}` | {p['before'] or 0:,} | {p['after'] or 0:,} | {_pct(p['before'], p['after'])} |"
              for p in r.plan] + ["", "</details>", ""]
    rows = max((v["rows"] for v in r.values), default=0)
    lines += [f"<details><summary>Values: {c['values_changed']} of {c['values_compared']} columns change "
              f"(up to {rows} sampled rows per table)</summary>", ""]
    moved = [v for v in r.values if v["state"] != "same"]
    if moved:
        lines += ["| column | state | sampled rows that differ |", "|---|---|---:|"]
        lines += [f"| `{v['table']}.{v['column']}` | {v['state']} | {v['differ']} of {v['rows']} |" for v in moved]
    else:
        lines.append("Every column has the same values on the sampled rows.")
    lines += ["", "</details>", ""]
    parts = r.parts
    lines += [f"<details><summary>Part files ({r.dialect}, {parts.get('mode')}): {parts.get('changed_count', 0)} of "
              f"{parts.get('total', 0)} change</summary>", ""]
    if parts.get("changed"):
        lines += [f"- `{t}`: {', '.join(ps[:8])}{' ...' if len(ps) > 8 else ''}" for t, ps in parts["changed"].items()]
    else:
        lines.append("Every part file is byte-identical.")
    lines += ["", "</details>", ""]
    return "\n".join(lines)
