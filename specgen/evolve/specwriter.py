"""What ``specgen introspect`` guesses and writes: a spec set's YAML from the statistics read.

One entity file per table with every column, type, key, unique set, index, check and foreign
key, generators guessed from type, name and statistics, and a profile; every guess is explained
in a comment.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from specgen.evolve import catalog as cat
from specgen.evolve.stats import (
    ENUM_MAX,
    ENUM_REPEAT,
    PERSONAL,
    ColumnStats,
    FanStats,
    TableStats,
    created_col,
    kind_of,
    unique_sets,
)


def _link_name(col: str, taken: set[str]) -> str:
    base = re.sub(r"(_id|_email|_uuid|_key)$", "", col) or col
    if base in ("parent", "_index", "_ordinal"):
        base = f"{base}_ref"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}{i}", i + 1
    taken.add(name)
    return name


def spec_type(t: cat.Type, dialect: str) -> tuple[str, str | None]:
    """The spec type for a catalog type, and a note when it is a stand-in."""
    b = t.base
    if b in ("varchar", "char"):
        return (f"{b}({t.args[0]})" if t.args else ("varchar" if b == "varchar" else "char(1)")), None
    if b == "numeric":
        return (f"numeric({','.join(map(str, t.args))})" if t.args else "numeric"), None
    if b == "timestamp" and dialect in ("mysql", "sqlite"):
        return "timestamptz", "DATETIME holds UTC here"
    if b == "float":
        return "double", None
    if b == "bytes":
        return "blob", None
    if b in ("smallint", "integer", "bigint", "real", "boolean", "text", "uuid", "timestamptz", "timestamp",
             "date", "json", "jsonb"):
        return b, None
    if b == "":
        return "text", "declared without a type"
    return "text", f"{b} has no spec type: generated as text"


class Guess:
    """A generator and why it was chosen."""

    def __init__(self, gen, why: str, extra: dict | None = None):
        self.gen, self.why, self.extra = gen, why, extra or {}


def _length_cap(t: cat.Type) -> int | None:
    return t.length if t.base in ("varchar", "char") and t.args else None


def _fits(n: int | None, longest: int) -> bool:
    return n is None or n >= longest


POOL_LONGEST = {"words": 14, "first_names": 11, "last_names": 11, "companies": 35, "cities": 22, "domains": 24,
                "sentences": 67, "paragraphs": 204, "catch_phrases": 59, "job_titles": 59, "user_agents": 147}


def guess_text(name: str, t: cat.Type, cs: ColumnStats, unique: bool) -> Guess:
    n = _length_cap(t)
    lname = name.lower()
    avg = cs.mean or 0
    if t.base == "uuid" or (lname == "id" or lname.endswith(("_id", "uuid"))) and (n is None or n >= 32):
        # without a declared length (DuckDB keeps none), the longest value in the source says
        longest = n if n is not None or t.base == "uuid" or cs.max is None else int(cs.max)
        dashes = longest is None or longest >= 36 or round(avg) == 36
        g = "uuid" if dashes else {"uuid": {"dashes": False}}
        return Guess(g, f"an identifier: {'36' if dashes else '32'}-character UUIDs")
    if "email" in lname:
        if _fits(n, 58):
            return Guess({"template": {"text": "{first|lower}.{last|lower}{_index}@{domain}",
                                       "parts": {"first": {"pool": "first_names"}, "last": {"pool": "last_names"},
                                                 "domain": {"pool": "domains"}}}},
                         "an email address from the name (the row index keeps addresses apart)")
        return Guess({"template": "u{_index}@example.com"}, "an email address (short column: u<row>@example.com)")
    if unique:
        if re.search(r"token|jti|secret|key|hash|nonce", lname) and _fits(n, 11):
            return Guess({"token": {"length": min(n or 43, 43)}}, "a unique token (URL-safe, built from the row index)")
        if n is not None and n < 16:
            return Guess({"template": "{_index}"}, "unique: the row index")
        stem = re.sub(r"[^a-z0-9]+", "-", lname).strip("-")[:12] or "v"
        if _fits(n, len(stem) + 1 + 14 + 1 + 10) and avg > 12:
            return Guess({"template": {"text": "{w}-" + stem + "-{_index}", "parts": {"w": {"pool": "words"}}}},
                         "unique text: a word and the row index")
        return Guess({"template": stem + "-{_index}"}, "unique text: the row index")
    if re.search(r"(^|_)(url|uri|endpoint|link|href)($|_)", lname) and _fits(n, 47):
        return Guess({"template": {"text": "https://{domain}/{w}", "parts": {"domain": {"pool": "domains"},
                                                                               "w": {"pool": "words"}}}},
                     "a URL, from the name")
    if re.search(r"(^|_)ip(_address)?$|_ip$", lname) and _fits(n, 15):
        return Guess("ipv4", "an IPv4 address, from the name")
    if "user_agent" in lname and _fits(n, 147):
        return Guess({"pool": "user_agents"}, "a user agent, from the name")
    if lname in ("first_name", "given_name") and _fits(n, 11):
        return Guess({"pool": "first_names"}, "a first name, from the name")
    if lname in ("last_name", "surname", "family_name") and _fits(n, 11):
        return Guess({"pool": "last_names"}, "a last name, from the name")
    if lname in ("full_name", "display_name") and _fits(n, 23):
        return Guess({"template": {"text": "{f} {l}", "parts": {"f": {"pool": "first_names"}, "l": {"pool": "last_names"}}}},
                     "a person's name, from the name")
    if "company" in lname and _fits(n, 35):
        return Guess({"pool": "companies"}, "a company, from the name")
    if "city" in lname and _fits(n, 22):
        return Guess({"pool": "cities"}, "a city, from the name")
    if re.search(r"token|secret|hash|key|password|nonce|jti", lname):
        return Guess({"hex": {"length": min(n or 64, 64)}}, "a secret-looking value: random hex digits")
    for pool, longest, least in (("paragraphs", 204, 100), ("sentences", 67, 30), ("catch_phrases", 59, 18),
                                 ("words", 14, 0)):
        if avg >= least and _fits(n, longest):
            return Guess({"pool": pool}, f"text of about {avg:.0f} characters: the {pool} pool")
    if n:
        return Guess({"hex": {"length": n}}, f"short text (at most {n} characters): hex digits")
    return Guess({"pool": "words"}, "text: the words pool")


def _count(f: FanStats, parent_rows: int, child_rows: int, nullable_share: float) -> tuple[object, str]:
    mean = child_rows / parent_rows if parent_rows else 0.0
    zero = parent_rows - f.parents_with_children
    lo = 0 if zero > 0 else f.min
    hi = max(f.max, math.ceil(mean))
    if child_rows and nullable_share > 0:  # rows without a key count towards the parents too
        hi = max(hi, math.ceil(mean * 2) + 1)
    src = (f"source: {child_rows:,} rows for {parent_rows:,} parents, {mean:.3g} per parent, "
           f"{lo}..{f.max} each, {zero:,} parents without any")
    if hi == lo:
        return lo, src
    if hi <= 1:
        return {"dist": "bernoulli", "p": round(mean, 6)}, src
    var = f.sum_sq / parent_rows - mean * mean if parent_rows else 0
    mean_r = round(min(max(mean, lo), hi), 4)
    # A power law's rare large counts only average out over many parents: with few, its total
    # strays far from the source's, so a geometric tail stands in.
    heavy = hi > 10 * max(mean, 1) and parent_rows >= 2000
    dist = "poisson" if var <= 1.5 * mean else "powerlaw" if heavy else "geometric"
    return {"dist": dist, "min": lo, "max": hi, "mean": mean_r}, src


# -- writing ----------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z_$][A-Za-z0-9_.$/-]*( [A-Za-z0-9_.$/-]+)*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def flow(v) -> str:
    """A value as YAML flow text (what a person writes in a spec)."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{flow_key(k)}: {flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(round(v, 6)) if not v.is_integer() else f"{v:.1f}"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _RESERVED and not re.fullmatch(r"[-+.\d]+(e[-+]?\d+)?", s, re.I):
        return s
    return json.dumps(s, ensure_ascii=False)


def flow_key(k) -> str:
    return flow(str(k)) if not isinstance(k, bool) else ("true" if k else "false")


def _default(text: str | None, kind: str = ""):
    """A simple literal default (number, string, boolean) from the catalog, else None; ``kind``:
    the column's (evolve.catalog.KINDS)."""
    if text is None:
        return None
    s = re.sub(r"::[\w ]+(\(\d+\))?$", "", text.strip())
    # DuckDB keeps a default as a cast of its text: TRUE reads back CAST('t' AS BOOLEAN)
    m = re.fullmatch(r"(?i)CAST\((.*) AS [\w ]+(?:\([\d, ]+\))?\)", s)
    if m:
        s = m.group(1).strip()
    s = s.strip("()")
    if kind == "bool" and s.strip("'").lower() in ("t", "f", "true", "false"):
        return s.strip("'").lower() in ("t", "true")
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    if re.fullmatch(r"-?\d+\.\d+", s):
        return float(s)
    if s.lower() in ("true", "false"):
        return s.lower() == "true"
    m = re.fullmatch(r"'((?:[^']|'')*)'", s)
    if m:
        return m.group(1).replace("''", "'")
    return None


class SpecWriter:
    """The spec set's files for the tables of ``stats``, with ``graph``'s fan-out parents and links."""

    def __init__(self, catalog, stats, graph, dialect, scale):
        self.catalog, self.stats, self.graph, self.dialect, self.scale = catalog, stats, graph, dialect, scale
        times = [(s.min, s.max) for t in stats.values() for c, s in t.columns.items() if s.min is not None
                 and s.nonnull and kind_of(catalog.tables[_table_of(stats, t)].columns[c]) in ("timestamp", "date")]
        lo = min((a for a, _ in times), default=None)
        hi = max((b for _, b in times), default=None)
        if hi is None:
            self.end, self.days = 1767225600, 365.0  # 2026-01-01: no times in the source
        else:
            self.end = int(math.ceil(hi / 60.0) * 60)
            self.days = max(1.0, math.ceil((self.end - lo) / 86400) + 1)

    def enum_candidates(self) -> list[tuple[str, str]]:
        out = []
        for name, ts in self.stats.items():
            t = self.catalog.tables[name]
            for c in t.columns.values():
                cs = ts.columns[c.name]
                if self._enum_like(t, c, cs):
                    out.append((name, c.name))
        return out

    def _enum_like(self, t, c, cs) -> bool:
        if kind_of(c) not in ("text", "int") or not cs.nonnull or cs.distinct == 0:
            return False
        if any(c.name in s for s in unique_sets(t)) or any(c.name in fk.columns for fk in t.foreign_keys):
            return False
        if any(ck.column == c.name and ck.values for ck in t.checks):
            return True  # the check names the values already: only their frequencies are new
        if PERSONAL.search(c.name) or (cs.mean or 0) > 40:
            return False
        return cs.distinct <= ENUM_MAX and cs.nonnull >= ENUM_REPEAT * cs.distinct

    def write_all(self, out: Path, profile: str, seed: int) -> list[str]:
        (out / "profiles").mkdir(parents=True, exist_ok=True)
        files = []
        params = {}
        for name in self.catalog.tables:
            if name not in self.stats:
                continue
            text, root_rows = self.entity(name)
            (out / f"{name}.yaml").write_text(text)
            files.append(f"{name}.yaml")
            if root_rows is not None:
                params[f"rows_{name}"] = root_rows
        from datetime import UTC, datetime

        end = datetime.fromtimestamp(self.end, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = [f"# Introspected from {self.catalog.url} ({self.catalog.dialect}); the source's rows x {self.scale:g}.",
                 f"description: Tables as the source holds them, x {self.scale:g}.",
                 f"seed: {seed}",
                 "# The source's times lie in this window (its latest time, rounded up to the minute).",
                 f'window: {{end: "{end}", days: {self.days:g}}}',
                 "params:"]
        for k, v in params.items():
            lines.append(f"  {k}: {v}   # source: {self.stats[k[5:]].rows:,} rows")
        if not params:
            lines.append("  {}")
        (out / "profiles" / f"{profile}.yaml").write_text("\n".join(lines) + "\n")
        files.append(f"profiles/{profile}.yaml")
        return files

    # -- one table ---------------------------------------------------------------------------------

    def entity(self, name: str) -> tuple[str, int | None]:
        t = self.catalog.tables[name]
        ts = self.stats[name]
        parent = self.graph.parent[name]
        links = self.graph.links[name]
        broken = dict((fk.columns[0], why) for fk, why in self.graph.broken[name])
        lines = [f"# {name}: introspected from {self.catalog.url}; {ts.rows:,} rows in the source.", f"table: {name}"]
        root_rows = None
        if parent is None:
            root_rows = max(0, round(ts.rows * self.scale))
            lines += ["# A root table: no NOT NULL foreign key to hang it from (rows are a profile parameter).",
                      f"rows: ${'rows_' + name}"]
        else:
            f = ts.fks.get(parent.columns[0], FanStats())
            col = t.columns[parent.columns[0]]
            share = 1 - ts.columns[col.name].nonnull / ts.rows if ts.rows else 0
            count, src = _count(f, self.stats[parent.ref_table].rows, ts.rows, share)
            if parent.columns[0] in {c for s in unique_sets(t) if len(s) == 1 for c in s}:
                count = {"dist": "bernoulli", "p": round(min(1.0, ts.rows / max(1, self.stats[parent.ref_table].rows)), 6)}
            lines += [f"# Fan-out of {parent.ref_table} through {parent.columns[0]} ({src}).",
                      "parent:", f"  table: {parent.ref_table}", f"  count: {flow(count)}"]
        taken: set[str] = set()
        link_of: dict[str, str] = {}
        sets = [s for s in unique_sets(t) if len(s) > 1]
        parent_col = parent.columns[0] if parent else None
        distinct_cols = set()
        most = ts.fks[parent_col].max if parent_col in ts.fks else 0
        for s in sets:
            if parent_col in s:
                for fk in links:
                    # a distinct link caps a parent's children at the target's rows: only where they suffice
                    if fk.columns[0] in s and self.stats[fk.ref_table].rows >= most:
                        distinct_cols.add(fk.columns[0])
                        break
        if links:
            lines.append("links:")
            for fk in links:
                ln = _link_name(fk.columns[0], taken)
                link_of[fk.columns[0]] = ln
                f = ts.fks.get(fk.columns[0], FanStats())
                pick = ", pick: distinct" if fk.columns[0] in distinct_cols else ""
                why = ("distinct among one parent's children: it is part of a unique set with the parent's key"
                       if pick else f"{f.children:,} rows reference {f.parents_with_children:,} of "
                                    f"{self.stats[fk.ref_table].rows:,} {fk.ref_table}, up to {f.max} each")
                lines += [f"  # {fk.columns[0]} -> {fk.ref_table}: {why}.",
                          f"  {ln}: {{table: {fk.ref_table}{pick}}}"]
        if broken:
            for col, why in broken.items():
                lines.append(f"# Cycle broken at {col}: {why}; the column is left NULL.")
        if t.primary_key:
            lines.append(f"primary_key: {flow(list(t.primary_key))}")
        plan = self._set_plan(t, sets, parent_col, distinct_cols)
        lines.append("columns:")
        for c in t.columns.values():
            lines += self.column(t, c, ts, parent, link_of, broken, plan)
        lines += self.constraints(t, plan)
        return "\n".join(lines) + "\n", root_rows

    def _set_plan(self, t, sets, parent_col, distinct_cols) -> dict[str, str]:
        """How each composite unique set is made unique: column -> 'index' | 'ordinal' | 'slot'."""
        plan: dict[str, str] = {}
        single = {s[0] for s in unique_sets(t) if len(s) == 1}
        for s in sets:
            if any(c in single or c in plan for c in s) or any(c in distinct_cols for c in s):
                continue
            if any(t.columns[c].nullable and self.stats[t.name].columns[c].nonnull == 0 for c in s):
                continue  # always NULL: SQL never compares NULLs
            cols = [t.columns[c] for c in s]
            if parent_col in s:
                times = [c for c in cols if kind_of(c) in ("timestamp", "date") and c.name != parent_col]
                ints = [c for c in cols if kind_of(c) == "int" and c.name != parent_col
                        and not any(c.name in fk.columns for fk in t.foreign_keys)]
                if ints:
                    plan[ints[0].name] = "ordinal"
                    continue
                if times and self.graph.parent[t.name] is not None:
                    plan[times[0].name] = "slot"
                    continue
            texts = [c for c in cols if kind_of(c) == "text" and not any(c.name in fk.columns for fk in t.foreign_keys)]
            if texts:
                plan[texts[0].name] = "index"
                continue
            ints = [c for c in cols if kind_of(c) == "int" and not any(c.name in fk.columns for fk in t.foreign_keys)]
            if ints:
                plan[ints[0].name] = "sequence"
                continue
            plan[f"__proof__{'|'.join(s)}"] = "compile"
        return plan

    def column(self, t, c, ts: TableStats, parent, link_of, broken, plan) -> list[str]:
        cs = ts.columns[c.name]
        typ, type_note = spec_type(c.type, self.dialect)
        d: dict = {"type": typ}
        null_share = 1 - cs.nonnull / ts.rows if ts.rows else 0.0
        if c.nullable:
            d["nullable"] = True
        unique_alone = any(s == (c.name,) for s in unique_sets(t))
        notes = [type_note] if type_note else []
        ref = None
        for fk in t.foreign_keys:
            if len(fk.columns) == 1 and fk.columns[0] == c.name and fk.ref_table in self.stats:
                d["references"] = f"{fk.ref_table}.{fk.ref_columns[0]}"
                if fk.on_delete:
                    d["on_delete"] = fk.on_delete
                if parent is not None and fk is parent:
                    ref = f"parent.{fk.ref_columns[0]}"
                elif c.name in link_of:
                    ref = f"{link_of[c.name]}.{fk.ref_columns[0]}"
        default = _default(c.default, kind_of(c))
        if default is not None and not c.auto:
            d["default"] = default
        guess: Guess | None
        if c.name in broken:
            guess, null_share = None, 1.0
            notes.append("left NULL: its reference closes a cycle")
            if not c.nullable:
                d.pop("references", None)
                guess = self.value_guess(t, c, cs, unique_alone, plan)
                notes.append("NOT NULL, so generated without the foreign key (drift reports it)")
        elif c.nullable and cs.nonnull == 0:
            guess = None
            notes.append("always NULL in the source")
        elif ref is not None:
            guess = Guess({"ref": ref}, "the foreign key's value, from " + ("the parent" if ref.startswith("parent.")
                                                                              else f"link {ref.split('.')[0]}"))
        elif c.nullable and cs.nonnull == 0:
            guess = None
            notes.append("always NULL in the source")
        else:
            guess = self.value_guess(t, c, cs, unique_alone, plan)
        if guess is not None:
            d["gen"] = guess.gen
            d.update(guess.extra)
            notes.insert(0, guess.why)
            if c.nullable and 0 < null_share < 1:
                d["null_rate"] = round(null_share, 4)
        src = f"source: {cs.nonnull:,} of {ts.rows:,} set, {cs.distinct:,} distinct"
        return [f"  # {'; '.join(n for n in notes if n)} ({src}).", f"  {flow_key(c.name)}: {flow(d)}"]

    def value_guess(self, t, c, cs: ColumnStats, unique: bool, plan: dict) -> Guess:
        k = kind_of(c)
        how = plan.get(c.name)
        parent = self.graph.parent[t.name]
        if how == "ordinal":
            return Guess({"ordinal": {"start": 1}}, "numbered among one parent's children (a unique set with the parent)")
        if how == "sequence":
            return Guess("sequence", "unique set: numbered by row")
        if how == "slot":
            pcreated = created_col(self.catalog.tables[parent.ref_table])
            slot = "1h" if cs.off_hour == 0 else "1m"
            g = {"timestamp": {"distinct": slot}}
            if pcreated:
                g["timestamp"]["after"] = f"parent.{pcreated}"
            return Guess(g, f"one {slot} slot per child of a parent (a unique set with the parent's key)")
        if how == "index" and k == "text":
            return guess_text(c.name, c.type, cs, True)
        if k == "int" and (unique or (t.primary_key == (c.name,))):
            return Guess({"sequence": {"start": int(cs.min) if cs.min is not None and cs.min >= 0 else 1}},
                         "a key: numbered from the source's first value")
        if k == "text" and unique:
            return guess_text(c.name, c.type, cs, True)
        ck = next((x for x in t.checks if x.column == c.name and x.values), None)
        if cs.values and (ck is not None or k in ("text", "int")):
            values = [v for v, _ in cs.values]
            weights = [n for _, n in cs.values]
            if ck is not None:
                extra = [v for v in ck.values if v not in values]
                values, weights = values + extra, weights + [0] * len(extra)
            if k == "int":
                values = [int(float(v)) for v in values]
            if len(values) == 1:
                return Guess({"const": values[0]}, "one value in the source")
            g = {"categorical": {"values": values, "weights": weights}}
            why = "the values of the CHECK with the source's frequencies" if ck else \
                f"enum-like ({len(values)} values): the source's values and frequencies"
            return Guess(g, why)
        if ck is not None:
            vals = [int(v) if k == "int" else v for v in ck.values]
            return Guess({"categorical": {"values": vals}}, "the values of the CHECK constraint")
        if k == "bool":
            p = (cs.true or 0) / cs.nonnull if cs.nonnull else 0.5
            if p in (0.0, 1.0):
                return Guess({"const": p == 1.0}, f"always {'true' if p == 1.0 else 'false'} in the source")
            return Guess({"bernoulli": round(p, 4)}, f"true in {p:.0%} of the source's rows")
        if k in ("int", "float", "numeric"):
            return self.numeric(c, cs, k)
        if k in ("timestamp", "date"):
            return self.time(t, c, cs, parent)
        if k == "text":
            return guess_text(c.name, c.type, cs, False)
        if k == "json":
            empty = [] if re.search(r"s$|list|tags|items|array", c.name) else {}
            return Guess({"const": empty}, f"JSON: documents are not read (statistics only); {'an empty list' if empty == [] else 'an empty object'} - write a generator")
        if k == "bytes":
            n = int(cs.max or 16)
            return Guess({"hex": {"length": max(2, min(64, 2 * max(1, n // 2)))}}, "bytes: random hex digits")
        return Guess({"const": ""}, "a type specgen cannot generate: empty text")

    def numeric(self, c, cs: ColumnStats, k: str) -> Guess:
        lo, hi, mean = cs.min, cs.max, cs.mean
        if lo is None:
            return Guess({"const": 0}, "no values in the source")
        if lo == hi:
            return Guess({"const": int(lo) if k == "int" else lo}, "one value in the source")
        std = math.sqrt(max(0.0, (cs.mean_sq or 0) - mean * mean))
        rnd = {"round": c.type.args[1]} if k == "numeric" and len(c.type.args) == 2 else {}
        span = hi - lo
        if k == "int" and span <= 1000 and abs(mean - (lo + hi) / 2) <= 0.1 * span:
            return Guess({"uniform": {"min": int(lo), "max": int(hi)}}, f"uniform in the source's range {int(lo)}..{int(hi)}")
        if lo >= 0 and mean > 0 and std > 0.8 * mean:
            sigma = math.sqrt(math.log(1 + (std / mean) ** 2))
            g = {"lognormal": {"mean": round(mean, 4), "sigma": round(sigma, 4), "min": _n(lo, k), "max": _n(hi, k), **rnd}}
            return Guess(g, f"skewed (mean {mean:.4g}, std {std:.4g}, range {lo:g}..{hi:g}): log-normal")
        if std == 0 or span == 0:
            return Guess({"uniform": {"min": _n(lo, k), "max": _n(hi, k), **rnd}}, "uniform in the source's range")
        g = {"normal": {"mean": round(mean, 4), "std": round(std, 4), "min": _n(lo, k), "max": _n(hi, k), **rnd}}
        return Guess(g, f"mean {mean:.4g}, std {std:.4g}, range {lo:g}..{hi:g}: normal")

    def time(self, t, c, cs: ColumnStats, parent) -> Guess:
        created = created_col(t)
        ts = self.stats[t.name]
        if created and c.name != created and cs.before.get(created) == 0 and not t.columns[created].nullable:
            return Guess({"timestamp": {"after": created, **self._recency(cs)}}, f"never before {created} in the source")
        if parent is not None:
            pcreated = created_col(self.catalog.tables[parent.ref_table])
            f = ts.fks.get(parent.columns[0], FanStats())
            if pcreated and f.before_parent.get(f"{c.name}<{pcreated}") == 0:
                return Guess({"timestamp": {"after": f"parent.{pcreated}", **self._recency(cs)}},
                             f"never before the parent's {pcreated} in the source")
        if cs.min is None:
            return Guess({"timestamp": {}}, "in the profile's window")
        a, b = int(self.end - cs.min), int(self.end - cs.max)
        return Guess({"expr": f"rand(window_end - {a}s, window_end - {b}s)"},
                     "uniform over the source's time range (counted back from the window's end)")

    def _recency(self, cs: ColumnStats) -> dict:
        if cs.mean is None or cs.max is None or cs.min is None or cs.max == cs.min:
            return {}
        pos = (cs.mean - cs.min) / (cs.max - cs.min)
        if pos <= 0.6:
            return {}
        days = max(0.5, round((self.end - cs.mean) / 86400 * math.log(2), 1))
        return {"recency": {"half_life_days": days}}

    def constraints(self, t, plan) -> list[str]:
        lines = []
        uniq = [u for u in t.uniques if u.constraint and not u.where]
        idx = [u for u in t.uniques if not (u.constraint and not u.where)] + list(t.indexes)
        if uniq:
            lines.append("unique:")
            for u in uniq:
                proof = plan.get(f"__proof__{'|'.join(u.columns)}")
                entry = {"name": u.name, "columns": list(u.columns)}
                if proof:
                    entry["proof"] = "compile"
                lines.append(f"  - {flow(entry)}")
        if idx:
            lines.append("indexes:")
            for ix in idx:
                if any(col == "<expression>" or col not in t.columns for col in ix.columns):
                    lines.append(f"  # {ix.name}: an expression index, which the spec language cannot state")
                    continue
                entry = {"name": ix.name, "columns": list(ix.columns)}
                if ix.unique:
                    entry["unique"] = True
                if ix.where:
                    entry["where"] = _portable_where(ix.where)
                if ix.unique and plan.get(f"__proof__{'|'.join(ix.columns)}"):
                    entry["proof"] = "compile"
                lines.append(f"  - {flow(entry)}")
        checks = [ck for ck in t.checks if ck.column and ck.values is not None]
        other = [ck for ck in t.checks if not (ck.column and ck.values is not None)]
        if checks:
            lines.append("checks:")
            for ck in checks:
                kind = kind_of(t.columns[ck.column]) if ck.column in t.columns else "text"
                vals = [int(v) if kind == "int" and re.fullmatch(r"-?\d+", v) else v for v in ck.values]
                lines.append(f"  - {flow({'name': ck.name, 'column': ck.column, 'in': vals})}")
        for ck in other:
            lines.append(f"# check {ck.name} ({ck.text}) is not of the form column IN (...): not stated")
        return lines


def _portable_where(where: str) -> str:
    s = where.strip()
    while s.startswith("(") and cat._closing(s, 0) == len(s) - 1:
        s = s[1:-1].strip()
    return re.sub(r"::[a-z ]+", "", s)


def _n(x, kind):
    return int(round(x)) if kind == "int" else round(x, 6)


def _table_of(stats, ts) -> str:
    for k, v in stats.items():
        if v is ts:
            return k
    raise KeyError("table")
