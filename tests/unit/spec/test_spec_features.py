"""Spec features the gateway specs need, tested on small inline spec sets: distinct pools, timestamps
bounded by several columns, the uniqueness proofs the validator accepts (and refuses), NULL-ness
conditions, streams kept across a move, the base64 filter."""

from __future__ import annotations

import base64

import polars as pl
import pytest

from conftest import run_cli, write_spec_set
from specgen import api

PROFILE = 'window: {end: "2026-01-01T00:00:00Z", days: 60}\nseed: 3\n'
COLORS = "\n".join(["Red", "Green", "Blue", "Cyan", "Magenta", "Yellow", "Black", "White"]) + "\n"

OWNERS = """
table: owners
rows: 300
columns:
  id: {type: integer, primary_key: true, gen: sequence}
  email: {type: varchar(80), unique: true, gen: {template: "user{_index}@example.com"}}
  created_at: {type: timestamptz, gen: {timestamp: {recency: {half_life_days: 20}}}}
"""

TEAMS = """
table: teams
parent: {table: owners, count: {dist: uniform, min: 1, max: 4}}
columns:
  id: {type: integer, primary_key: true, gen: sequence}
  owner_id: {type: integer, references: owners.id, gen: {ref: parent.id}}
  slug:
    type: varchar(120)
    unique: true
    gen:
      switch:  # a plain `on:` key is the word, not YAML 1.1 true
        on: _ordinal
        cases: {0: {template: "personal-{parent.email|slug}"}}
        default: {template: "team-{_index}"}
  created_at: {type: timestamptz, gen: {timestamp: {after: parent.created_at}}}
"""

THINGS = """
table: things
parent: {table: teams, count: {dist: uniform, min: 0, max: 20}}
links:
  other: {table: owners}
columns:
  id: {type: integer, primary_key: true, gen: sequence}
  team_id: {type: integer, references: teams.id, gen: {ref: parent.id}}
  color: {type: varchar(20), gen: {pool: {name: colors, distinct: true}}}
  label: {type: varchar(60), gen: {template: "{parent.slug}/{color|lower}"}}
  created_at: {type: timestamptz, gen: {timestamp: {after: [parent.created_at, other.created_at]}}}
  seen_at: {type: timestamptz, gen: {timestamp: {after: created_at, before: [parent.created_at, other.created_at]}}}
  ends_at: {type: timestamptz, gen: {timestamp: {after: created_at, offset: {min: 1d, max: 400d}, bounded: true}}}
  spare: {type: varchar(10), nullable: true}
unique:
  - [team_id, color]
  - [spare, id]
indexes:
  - {name: uq_label, columns: [label], unique: true}
  - {name: uq_color_when_spare, columns: [team_id, color], unique: true, where: "created_at IS NULL"}
"""


def _specs(tmp_path, **override):
    files = {"owners.yaml": OWNERS, "teams.yaml": TEAMS, "things.yaml": THINGS, "pools/colors.txt": COLORS,
             "profiles/default.yaml": PROFILE}
    files.update(override)
    return write_spec_set(tmp_path, files)


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    plan = api.plan(_specs(tmp_path_factory.mktemp("features")), "default")
    return plan, {t: api.generate_table(plan, t) for t in plan.rows}


def test_spec_set_is_valid(tmp_path):
    assert api.validate(_specs(tmp_path)) == []


def test_distinct_pool_values_differ_among_siblings(frames):
    plan, f = frames
    things = f["things"]
    assert things.select("team_id", "color").is_duplicated().sum() == 0
    # Counts are capped at the pool size (8), and the plan knows it.
    per_team = things.group_by("team_id").len()
    assert per_team["len"].max() == 8
    assert plan.rows["things"] == things.height
    # Values are not tied to the child's position: the first child takes many different colours.
    firsts = things.join(things.group_by("team_id").agg(pl.col("id").min()), on=["team_id", "id"])
    assert firsts["color"].n_unique() >= 6


def test_distinct_pool_is_identical_whatever_the_chunking(frames):
    plan, f = frames
    parts = [api.generate_table(plan, "things", lo, lo + 37) for lo in range(0, plan.rows["things"], 37)]
    assert pl.concat(parts).equals(f["things"])


def test_first_child_switch_builds_unique_slugs(frames):
    _, f = frames
    teams = f["teams"]
    assert teams["slug"].is_duplicated().sum() == 0
    assert teams["slug"].str.starts_with("personal-").sum() == f["owners"].height


def test_timestamps_follow_the_latest_after_and_the_earliest_before(frames):
    plan, f = frames
    ctx = api.generate_table(plan, "things")
    teams = f["teams"].select(pl.col("id").alias("team_id"), pl.col("created_at").alias("team_at"))
    ctx = ctx.join(teams, on="team_id")
    assert (ctx["created_at"] >= ctx["team_at"]).all()
    # seen_at: never before created_at, never after the earlier bound - which is before created_at
    # here, so seen_at collapses onto created_at; and never past the window's end.
    assert (ctx["seen_at"] >= ctx["created_at"]).all()
    end = plan.model.profile.window_end * 1_000_000
    assert (ctx["seen_at"].dt.epoch("us") <= end).all()
    # A bounded offset stays after its start and inside the window, though the offset could pass it.
    assert (ctx["ends_at"] >= ctx["created_at"]).all() and (ctx["ends_at"].dt.epoch("us") <= end).all()
    assert (ctx["ends_at"].dt.epoch("us") == end).sum() > 0


def test_validator_refuses_a_pool_that_slug_merges(tmp_path):
    colors = "Red\nred\nBlue\n"
    bad = THINGS.replace("label: {type: varchar(60), gen: {template: \"{parent.slug}/{color|lower}\"}}",
                         "label: {type: varchar(60), gen: {template: \"{color|lower}\"}}")
    bad = bad.replace("  - {name: uq_label, columns: [label], unique: true}\n",
                      "  - {name: uq_label, columns: [team_id, label], unique: true}\n")
    problems = api.validate(_specs(tmp_path, **{"things.yaml": bad, "pools/colors.txt": colors}))
    assert any("unique (team_id, label)" in p.message for p in problems), problems


def test_validator_refuses_a_switch_with_a_non_unique_case(tmp_path):
    bad = TEAMS.replace('default: {template: "team-{_index}"}', 'default: {template: "team-{parent.id}"}')
    problems = api.validate(_specs(tmp_path, **{"teams.yaml": bad}))
    assert any("columns.slug.gen" in p.path for p in problems), problems


def test_validator_refuses_a_partial_index_whose_predicate_can_hold(tmp_path):
    bad = THINGS.replace('where: "created_at IS NULL"', 'where: "spare IS NULL"').replace(
        "columns: [team_id, color], unique: true, where", "columns: [color], unique: true, where")
    problems = api.validate(_specs(tmp_path, **{"things.yaml": bad}))
    assert any("unique (color)" in p.message for p in problems), problems


def test_distinct_pool_needs_a_parent(tmp_path):
    bad = OWNERS + "  color: {type: varchar(20), gen: {pool: {name: colors, distinct: true}}}\n"
    specs = _specs(tmp_path, **{"owners.yaml": bad})
    proc = run_cli("validate", "--specs", str(specs), cwd=tmp_path)
    assert proc.returncode == 1
    assert "owners.yaml:8:67:" in proc.stderr.decode() and "needs 'parent'" in proc.stderr.decode()


GADGETS = '[{"name": "alpha", "schema": {"type": "object"}}, {"name": "beta", "schema": {"type": "string"}}, ' \
          '{"name": "gamma", "schema": {"type": "integer"}}]'

WIDGETS = """
table: widgets
parent: {table: owners, count: {dist: uniform, min: 0, max: 5}}
columns:
  id: {type: integer, primary_key: true, gen: sequence}
  owner_id: {type: integer, references: owners.id, gen: {ref: parent.id}}
  gadget: {type: text, virtual: true, gen: {pool: {name: gadgets, distinct: true}}}
  name: {type: varchar(20), gen: {template: "{gadget|get:name}"}}
  schema: {type: json, gen: {template: "{gadget|get:schema}"}}
unique:
  - [owner_id, name]
"""


def test_get_filter_reads_one_pooled_record_into_several_columns(tmp_path):
    specs = _specs(tmp_path, **{"widgets.yaml": WIDGETS, "pools/gadgets.json": GADGETS})
    assert api.validate(specs) == []
    plan = api.plan(specs, "default")
    w = api.generate_table(plan, "widgets")
    assert w.group_by("owner_id").len()["len"].max() == 3  # capped at the pool's 3 records
    expected = {"alpha": '{"type":"object"}', "beta": '{"type":"string"}', "gamma": '{"type":"integer"}'}
    assert all(expected[n] == s for n, s in w.select("name", "schema").iter_rows())


def test_get_filter_reports_records_without_the_member(tmp_path):
    gadgets = '[{"name": "alpha"}, {"title": "beta"}]'
    specs = _specs(tmp_path, **{"widgets.yaml": WIDGETS, "pools/gadgets.json": gadgets})
    messages = [p.message for p in api.validate(specs)]
    assert any("1 of the 2 records of pool 'gadgets' have no member 'name'" in m for m in messages), messages
    assert any("unique (owner_id, name)" in m for m in messages), messages  # alpha/None is no proof


def test_parameters_reach_switch_cases_defaults_and_template_parts(tmp_path):
    profile = PROFILE + "params: {most: 3, p: 0.25}\n"
    teams = TEAMS.replace("count: {dist: uniform, min: 1, max: 4}",
                          "count: {switch: {on: id, cases: {1: 0}, default: {dist: uniform, min: 1, max: $most}}}")
    teams = teams.replace('default: {template: "team-{_index}"}',
                          'default: {template: {text: "team-{_index}{flag}", parts: {flag: {bernoulli: $p}}}}')
    teams += "  note: {type: varchar(10), default: \"$most\", gen: {const: x}}\n"
    specs = _specs(tmp_path, **{"teams.yaml": teams, "profiles/default.yaml": profile})
    assert api.validate(specs) == []
    plan = api.plan(specs, "default")
    t = api.generate_table(plan, "teams")
    assert t.group_by("owner_id").len()["len"].max() == 3 and 1 not in t["owner_id"].to_list()
    assert plan.model.tables["teams"].columns["note"].default == "$most"  # DDL text stays literal


def test_plan_table_shows_children_of_an_empty_parent(tmp_path):
    specs = _specs(tmp_path, **{"owners.yaml": OWNERS.replace("rows: 300", "rows: 0")})
    proc = run_cli("plan", "--specs", str(specs), "--profile", "default", cwd=tmp_path, check=True)
    assert "teams" in proc.stdout.decode() and "total" in proc.stdout.decode()


def test_json_objects_embed_json_pool_documents_and_templates_draw_whole_numbers(tmp_path):
    owners = OWNERS + """  profile:
    type: json
    gen: {json: {object: {gadget: {pool: gadgets}, level: {uniform: {min: 1, max: 9}}}}}
  code: {type: varchar(20), gen: {template: {text: "C-{n}", parts: {n: {uniform: {min: 100, max: 999}}}}}}
"""
    specs = _specs(tmp_path, **{"owners.yaml": owners, "pools/gadgets.json": GADGETS})
    plan = api.plan(specs, "default")
    df = api.generate_table(plan, "owners", 0, 50)
    import json
    docs = [json.loads(d) for d in df["profile"]]
    assert all(isinstance(d["gadget"], dict) and isinstance(d["level"], int) for d in docs)
    assert df["code"].str.contains(r"^C-[0-9]{3}$").all()


def test_stream_keeps_a_columns_values_when_it_moves(tmp_path):
    before = write_spec_set(tmp_path / "a", {"t.yaml": (
        "table: t\nrows: 300\ncolumns:\n"
        "  k: {type: text, gen: {categorical: {values: [x, y, z]}}}\n")})
    after = write_spec_set(tmp_path / "b", {"t.yaml": (
        "table: t\nrows: 300\ncolumns:\n"
        "  kind: {type: text, virtual: true, stream: k, gen: {categorical: {values: [x, y, z]}}}\n"
        "  k: {type: text, gen: {ref: kind}}\n")})
    a = api.generate_table(api.plan(before, "default"), "t")
    b = api.generate_table(api.plan(after, "default"), "t")
    assert a["k"].to_list() == b["k"].to_list()


def test_null_when_is_null_and_is_not_null(tmp_path):
    specs = write_spec_set(tmp_path, {"t.yaml": (
        "table: t\nrows: 400\ncolumns:\n"
        "  a: {type: integer, nullable: true, null_rate: 0.5, gen: {uniform: {min: 1, max: 9}}}\n"
        "  same: {type: integer, nullable: true, null_when: {column: a, is_null: true}, gen: {const: 1}}\n"
        "  other: {type: integer, nullable: true, null_when: {column: a, is_null: false}, gen: {const: 1}}\n")})
    df = api.generate_table(api.plan(specs, "default"), "t")
    assert (df["a"].is_null() == df["same"].is_null()).all()
    assert (df["a"].is_null() != df["other"].is_null()).all()
    assert 0 < df["a"].null_count() < 400


def test_the_base64_filter_writes_basic_credentials(tmp_path):
    specs = write_spec_set(tmp_path, {"t.yaml": (
        "table: t\nrows: 50\ncolumns:\n"
        "  user: {type: text, gen: {template: 'user{_index}@example.com'}}\n"
        "  auth: {type: text, gen: {template: 'Basic {user|base64}'}}\n")})
    df = api.generate_table(api.plan(specs, "default"), "t")
    assert [base64.b64decode(a.removeprefix("Basic ")).decode() for a in df["auth"]] == df["user"].to_list()
