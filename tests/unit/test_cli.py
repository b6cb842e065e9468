"""Every command of the CLI, in process: what it prints and its exit code - 0 when it did its job,
1 for a mistake of the user's (with a message and no traceback), 2 only for an internal error.

The commands run through ``specgen.cli.main`` exactly as the console entry point calls it; the
SQLite database is a real file loaded with the real ``sqlite3`` client.
"""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import SHOP
from specgen import cli


def run(capsys, *argv) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``specgen ARGV``."""
    capsys.readouterr()
    try:
        cli.main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    """The shop example's tiny profile compiled for SQLite (shared by the commands that read one)."""
    from specgen import api

    out = tmp_path_factory.mktemp("cli") / "dump"
    api.compile(SHOP, "tiny", "sqlite", out=out, workers=1)
    return out


def test_help_and_version(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("validate", "plan", "compile", "manifest", "load", "verify", "generate", "drift",
                    "introspect", "diff", "report", "pools", "schema"):
        assert command in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and "specgen" in out


def test_an_unknown_command_or_option_is_a_usage_error(capsys):
    code, _, err = run(capsys, "compiel")
    assert code == 1 and "compile" in err  # "did you mean"
    code, _, err = run(capsys, "plan", "--profile", "tiny", "--no-such-option")
    assert code == 1 and "no-such-option" in err


def test_validate(capsys, tmp_path):
    code, _, err = run(capsys, "validate", "--specs", str(SHOP))
    assert code == 0 and "ok" in err
    bad = tmp_path / "specs"
    shutil.copytree(SHOP, bad)
    (bad / "customers.yaml").write_text((bad / "customers.yaml").read_text().replace("type: bigint", "type: bigintt", 1))
    code, _, err = run(capsys, "validate", "--specs", str(bad))
    assert code == 1 and "customers.yaml:" in err


def test_plan(capsys):
    code, out, _ = run(capsys, "plan", "--specs", str(SHOP), "--profile", "tiny")
    assert code == 0 and "customers" in out and "total" in out
    code, out, _ = run(capsys, "plan", "--specs", str(SHOP), "--profile", "tiny", "--format", "json")
    assert code == 0 and json.loads(out)["total_rows"] > 0
    code, _, err = run(capsys, "plan", "--specs", str(SHOP), "--profile", "no_such_profile")
    assert code == 1 and "no_such_profile" in err


def test_compile(capsys, tmp_path):
    out = tmp_path / "out"
    code, _, err = run(capsys, "compile", "--specs", str(SHOP), "--profile", "tiny", "--dialect", "postgres",
                       "--out", str(out), "--workers", "1")
    assert code == 0 and (out / "manifest.json").is_file(), err
    code, _, err = run(capsys, "compile", "--specs", str(SHOP), "--profile", "tiny", "--dialect", "oracle9")
    assert code == 1 and "oracle9" in err


def test_compile_to_stdout(capsys):
    code, out, _ = run(capsys, "compile", "--specs", str(SHOP), "--profile", "tiny", "--dialect", "sqlite", "--stdout")
    assert code == 0 and "CREATE TABLE" in out


def test_manifest_merge(capsys, tmp_path):
    for k in (1, 2):
        code, _, err = run(capsys, "compile", "--specs", str(SHOP), "--profile", "tiny", "--dialect", "sqlite",
                           "--out", str(tmp_path / "d"), "--shard", f"{k}/2", "--workers", "1")
        assert code == 0, err
    code, _, err = run(capsys, "manifest", "merge", str(tmp_path / "d"), "--specs", str(SHOP))
    assert code == 0 and (tmp_path / "d" / "manifest.json").is_file(), err
    code, _, err = run(capsys, "manifest", "merge", str(tmp_path / "nothing-here"))
    assert code == 1


def test_load_verify_report(capsys, tmp_path, dump):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    code, _, err = run(capsys, "load", str(dump), "--url", url)
    assert code == 0 and "loaded" in err, err
    code, _, err = run(capsys, "verify", str(dump), "--url", url, "--report", str(tmp_path / "checks.json"))
    assert code == 0 and "checks passed" in err, err
    assert json.loads((tmp_path / "checks.json").read_text())
    # Loading again into full tables is refused without --truncate or --append.
    code, _, err = run(capsys, "load", str(dump), "--url", url)
    assert code == 1 and err
    code, _, err = run(capsys, "load", str(tmp_path / "no-dump"), "--url", url)
    assert code == 1 and "no-dump" in err
    code, _, err = run(capsys, "verify", str(dump), "--url", f"sqlite:///{tmp_path / 'empty.db'}")
    assert code == 1 and "customers" in err
    code, _, err = run(capsys, "report", str(tmp_path / "checks.json"))  # checks, not a load report
    assert code == 1 and "checks.json" in err


def test_generate_and_report(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'gen.db'}"
    code, out, err = run(capsys, "generate", "--specs", str(SHOP), "--profile", "tiny", "--url", url)
    assert code == 0, out + err
    reports = list((tmp_path / "reports").glob("*.json"))
    assert reports
    code, out, _ = run(capsys, "report", str(reports[0]))
    assert code == 0 and "tiny" in out
    code, _, err = run(capsys, "generate", "--specs", str(SHOP), "--profile", "tiny", "--url", "nosuchdb://x")
    assert code == 1 and "nosuchdb" in err


def test_drift_introspect_diff(capsys, tmp_path, dump):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert run(capsys, "load", str(dump), "--url", url)[0] == 0
    code, out, err = run(capsys, "drift", "--specs", str(SHOP), "--profile", "tiny", "--url", url)
    assert code == 0, out + err
    code, _, err = run(capsys, "introspect", "--url", url, "--out", str(tmp_path / "specs"))
    assert code == 0 and (tmp_path / "specs" / "profiles").is_dir(), err
    code, _, err = run(capsys, "introspect", "--url", url, "--out", str(tmp_path / "specs"))
    assert code == 1  # not an empty directory
    code, out, err = run(capsys, "diff", str(SHOP), str(SHOP), "--profile", "tiny", "--format", "json")
    assert code == 0 and json.loads(out), err
    code, _, err = run(capsys, "diff", str(tmp_path / "not-specs"), "--specs", str(SHOP), "--profile", "tiny")
    assert code == 1 and err


def test_pools_and_schema(capsys, tmp_path):
    code, _, err = run(capsys, "pools", "--out", str(tmp_path / "pools"), "--only", "first_names")
    assert code == 0 and any((tmp_path / "pools").iterdir()), err
    code, _, err = run(capsys, "pools", "--out", str(tmp_path / "other"), "--only", "first_namez")
    assert code == 1 and "first_namez" in err and "first_names" in err  # did you mean
    assert not (tmp_path / "other").exists()
    code, out, _ = run(capsys, "schema", "profile")
    assert code == 0 and json.loads(out)["type"] == "object"
    assert run(capsys, "schema", "nonsense")[0] == 1


def test_an_internal_error_is_exit_2_without_a_traceback_unless_debug(capsys, monkeypatch):
    from specgen import api

    monkeypatch.setattr(api, "plan", lambda *a, **k: 1 / 0)
    code, _, err = run(capsys, "plan", "--specs", str(SHOP), "--profile", "tiny")
    assert code == 2 and "internal error: ZeroDivisionError" in err and "--debug" in err
    with pytest.raises(ZeroDivisionError):
        cli.main(["--debug", "plan", "--specs", str(SHOP), "--profile", "tiny"])
