"""Group 6 of issue 18: the contract, fuzzed. Random spec sets and profiles, valid and not:

* ``validate`` exits 0, or 1 with every problem naming its file (``file:line:col`` where it has
  a place); never 2, a traceback or a hang;
* a spec set that validates is generated into SQLite (compile, load, verify) and exits 0 with
  every check passed, or 1 with a message; never 2.

``make test`` runs a small fixed budget (derandomized: the same examples every run); ``make fuzz``
runs many more (``SPECGEN_FUZZ_EXAMPLES``, random each run; failures are kept in Hypothesis'
example database and replayed first).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = int(os.environ.get("SPECGEN_FUZZ_EXAMPLES", "0"))
# make test: a fixed budget, well under a minute for both properties together.
VALIDATE_EXAMPLES = FUZZ or 60
GENERATE_EXAMPLES = max(1, FUZZ // 5) if FUZZ else 12


def budget(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=not FUZZ,
                    database=None if not FUZZ else settings.default.database,
                    suppress_health_check=list(HealthCheck), print_blob=True)

# -- spec text ------------------------------------------------------------------------------------


def y(v) -> str:
    """A value as YAML flow text (NaN and infinities as YAML spells them)."""
    if v is PARAM:
        return "$p"  # a parameter, written bare
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(y(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {y(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


PARAM = type("Param", (), {"__repr__": lambda self: "$p"})()
ints = st.one_of(st.integers(-3, 60), st.sampled_from([0, 1, 2**31, 2**62, 2**63 - 1, 2**63, 10**20, -(2**63)]))
numbers = st.one_of(ints, st.floats(allow_nan=True, allow_infinity=True, width=64),
                    st.sampled_from([0.5, 2.5, -0.0, 1e300]))
small = st.integers(0, 40)
count_value = st.one_of(small.map(lambda n: n % 5), numbers, st.just(PARAM))
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)

column_gens = st.one_of(
    st.fixed_dictionaries({"type": st.just("integer"),
                           "gen": st.fixed_dictionaries({"uniform": st.fixed_dictionaries(
                               {"min": st.one_of(ints, st.just(PARAM)), "max": ints})})}),
    st.fixed_dictionaries({"type": st.just("double precision"),
                           "gen": st.fixed_dictionaries({"normal": st.fixed_dictionaries(
                               {"mean": st.one_of(numbers, st.just(PARAM)), "std": numbers})})}),
    st.fixed_dictionaries({"type": st.sampled_from(["varchar(40)", "varchar(3)", "text"]),
                           "unique": st.booleans(),
                           "gen": st.fixed_dictionaries({"template": st.lists(
                               st.sampled_from(["{_index}", "{n}", "-", "x", "{_index|pad:3}", "{_index|pad:5000}",
                                                "{nope}", "{", "@"]), min_size=1, max_size=4).map("".join)})}),
    st.fixed_dictionaries({"type": st.just("varchar(20)"),
                           "gen": st.fixed_dictionaries({"categorical": st.fixed_dictionaries(
                               {"values": st.lists(texts, min_size=0, max_size=4)})})}),
    st.fixed_dictionaries({"type": st.just("timestamptz"), "gen": st.just({"timestamp": {}})}),
    st.fixed_dictionaries({"type": st.just("text"),
                           "gen": st.fixed_dictionaries({"pool": st.sampled_from(["words", "first_names", "nope"])})}),
    st.fixed_dictionaries({"type": st.just("json"),
                           "gen": st.fixed_dictionaries({"json": st.fixed_dictionaries({"array": st.fixed_dictionaries(
                               {"items": st.just({"pool": "words"}), "min": ints, "max": ints})})})}),
    st.fixed_dictionaries({"type": st.just("boolean"),
                           "gen": st.fixed_dictionaries({"bernoulli": st.one_of(numbers, st.just(PARAM))})}),
    st.fixed_dictionaries({"type": st.just("text"), "gen": st.fixed_dictionaries({"const": texts})}),
)

count_specs = st.one_of(
    count_value,
    st.fixed_dictionaries({"dist": st.sampled_from(["uniform", "poisson", "powerlaw", "zipf", "const"]),
                           "min": count_value, "max": count_value, "mean": count_value}),
)

wheres = st.sampled_from([None, "n IS NOT NULL", "n > 2", "n >>= (((", "n > 1; DROP TABLE a", "SELECT 1", "'x"])


@st.composite
def spec_sets(draw):
    rows = draw(st.one_of(small, numbers, st.just(PARAM)))
    cols = draw(st.lists(column_gens, max_size=4))
    start = draw(st.one_of(st.just(1), ints))
    a = {"table": "a", "rows": rows,
         "columns": {"id": {"type": "bigint", "gen": {"sequence": {"start": start}}},
                     "n": {"type": "integer", "nullable": True, "gen": {"uniform": {"min": 0, "max": 9}}},
                     **{f"c{i}": c for i, c in enumerate(cols)}}}
    where = draw(wheres)
    if where is not None:
        a["indexes"] = [{"name": "ix_a_n", "columns": ["n"], "where": where}]
    files = {"a": a}
    if draw(st.booleans()):
        files["b"] = {"table": "b", "parent": {"table": "a", "count": draw(count_specs)},
                      "columns": {"a_id": {"type": "bigint", "references": "a.id", "gen": {"ref": "parent.id"}},
                                  **{f"d{i}": c for i, c in enumerate(draw(st.lists(column_gens, max_size=2)))}}}
    profile = {"window": {"end": draw(st.sampled_from(["2026-01-01T00:00:00Z", "9999-12-31", "1900-01-02", "soon"])),
                          "days": draw(st.one_of(st.just(30), numbers))},
               "seed": draw(st.one_of(st.just(1), ints)),
               "params": {"p": draw(numbers)}}
    return files, profile


def write(root: Path, files: dict, profile: dict) -> Path:
    specs = root / "specs"
    (specs / "profiles").mkdir(parents=True, exist_ok=True)
    for name, doc in files.items():
        (specs / f"{name}.yaml").write_text("\n".join(f"{k}: {y(v)}" for k, v in doc.items()) + "\n")
    (specs / "profiles" / "default.yaml").write_text("\n".join(f"{k}: {y(v)}" for k, v in profile.items()) + "\n")
    return specs


# -- the CLI, in this process (a subprocess per example would spend the budget starting Python) ---


def specgen(*args: str, cwd: Path) -> tuple[int, str, str]:
    from specgen.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def check_refusal(code: int, err: str, what: str) -> None:
    assert code in (0, 1), f"{what}: exit {code}\n{err}"
    assert "Traceback" not in err and "internal error" not in err and "panicked" not in err, f"{what}:\n{err}"
    if code == 1:
        lines = [line for line in err.splitlines() if line.strip() and not line.startswith("notice:")]
        assert lines, f"{what}: exit 1 without a message"
        assert all(line.startswith("specs") or line.startswith("--as-of") or line.startswith("  ")
                   for line in lines), f"{what}: a message that names no file:\n{err}"


_n = iter(range(10**9))


def _root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp(f"fuzz{next(_n)}")


@budget(VALIDATE_EXAMPLES)
@given(spec_sets())
def test_validate_keeps_the_contract(tmp_path_factory, case):
    files, profile = case
    root = _root(tmp_path_factory)
    write(root, files, profile)
    t = time.monotonic()
    code, _, err = specgen("validate", "--specs", "specs", cwd=root)
    assert time.monotonic() - t < 30, "validate took more than 30 s"
    check_refusal(code, err, "validate")


@st.composite
def small_valid_looking(draw):
    """Spec sets of the valid kind mostly (small counts, sane numbers), so most reach the data."""
    files, profile = draw(spec_sets())
    a = files["a"]
    a["rows"] = draw(st.integers(0, 30))
    a["columns"]["id"]["gen"]["sequence"]["start"] = draw(st.integers(-5, 10**6))
    profile["window"] = {"end": "2026-01-01T00:00:00Z", "days": draw(st.integers(1, 400))}
    profile["seed"] = draw(st.integers(0, 2**31))
    profile["params"] = {"p": draw(st.integers(0, 3))}
    if "b" in files:
        files["b"]["parent"]["count"] = draw(st.one_of(
            st.integers(0, 4),
            st.builds(lambda lo, hi: {"dist": "uniform", "min": lo, "max": lo + hi}, st.integers(0, 3), st.integers(0, 3))))
    return files, profile


@budget(GENERATE_EXAMPLES)
@given(small_valid_looking())
def test_what_validates_generates_and_verifies(tmp_path_factory, case):
    files, profile = case
    root = _root(tmp_path_factory)
    write(root, files, profile)
    code, _, err = specgen("validate", "--specs", "specs", cwd=root)
    check_refusal(code, err, "validate")
    if code != 0:
        return
    t = time.monotonic()
    code, out, err = specgen("generate", "--specs", "specs", "--profile", "default", "--url",
                             f"sqlite:///{root / 'db.sqlite'}", cwd=root)
    assert time.monotonic() - t < 60, "generate took more than 60 s"
    # What only the rows show (a value longer than its varchar, found while writing) is exit 1
    # naming the spec file, with nothing half written; anything else must load and verify.
    check_refusal(code, err, "generate")
    if code == 1:
        assert not (root / "out" / "default" / "sqlite" / "manifest.json").exists()
        return
    report = json.loads((root / "reports" / "default_load_report.json").read_text())
    assert report["ok"] and report["verification"]["failed"] == 0, report["verification"]


def test_found_by_fuzzing_a_template_of_literal_text_only(tmp_path):
    """A template without placeholders gave one value for the whole batch (a ShapeError, exit 2)."""
    files = {"a": {"table": "a", "rows": 3, "columns": {
        "id": {"type": "bigint", "gen": {"sequence": {"start": 0}}},
        "c0": {"type": "varchar(40)", "gen": {"template": "@"}},
        "c1": {"type": "varchar(40)", "gen": {"template": "x{_index}"}}}}}
    write(tmp_path, files, {"window": {"end": "2026-01-01T00:00:00Z", "days": 1}, "seed": 0})
    code, out, err = specgen("generate", "--specs", "specs", "--profile", "default", "--url",
                             f"sqlite:///{tmp_path / 'db.sqlite'}", cwd=tmp_path)
    assert code == 0, out + err


option_values = st.one_of(st.sampled_from(["0", "-1", "1", "2", "1/0", "0/1", "3/2", "a/b", "", "now", "9999-12-31",
                                           "1899-01-01", "x", "1e9", "nan", "none", "gzip", "zstd", "sql", "csv",
                                           "postgres", "mysql", "nope", "a,b", "a"]), texts)
cli_options = st.lists(st.tuples(st.sampled_from(["--workers", "--chunk-rows", "--shard", "--as-of", "--seed",
                                                  "--tables", "--compress", "--format", "--dialect", "--profile"]),
                                 option_values), max_size=3)


@budget(FUZZ // 4 if FUZZ else 10)
@given(st.sampled_from(["plan", "compile"]), cli_options)
def test_command_line_options_keep_the_contract(tmp_path_factory, command, options):
    root = _root(tmp_path_factory)
    write(root, {"a": {"table": "a", "rows": 5, "columns": {"id": {"type": "bigint", "gen": "sequence"}}}},
          {"window": {"end": "2026-01-01T00:00:00Z", "days": 3}, "seed": 1})
    args = [command, "--specs", "specs"]
    if not any(o == "--profile" for o, _ in options):
        args += ["--profile", "default"]
    for o, v in options:
        if command == "plan" and o not in ("--profile", "--as-of", "--seed", "--chunk-rows"):
            continue
        args += [o, v]
    if command == "compile":
        args += ["--out", "o"]
    code, _, err = specgen(*args, cwd=root)
    assert code in (0, 1), f"{args}: exit {code}\n{err}"
    assert "Traceback" not in err and "internal error" not in err, f"{args}:\n{err}"
