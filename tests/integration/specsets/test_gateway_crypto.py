"""The MCP gateway's own code decrypts what specgen encrypts: random values of every length, and
every encrypted value of the gateway spec set's `small` dump, read through the gateway's read path
(tests/gateway_crypto.py runs in the gateway's Python). The secret appears in no file of the dump,
no output and no error message."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from conftest import ROOT, run_cli, write_spec_set
from specgen.engine import crypto

HELPER = Path(__file__).resolve().parents[2] / "gateway_crypto.py"
# Strong enough for the gateway's settings checks; non-ASCII, so its UTF-8 bytes are what counts.
SECRET = "q7#Vx2!Lm9@Rt4$Wz8^Kp3&Nb6*Hd1(Gs5)-é"

# The gateway's release the spec set follows, installed once into the shared cache (gatewayenv);
# SPECGEN_GATEWAY_PYTHON names another environment's python instead.
GATEWAY_VERSION = "1.1.0"


@pytest.fixture(scope="module")
def gateway_python() -> str:
    given = os.environ.get("SPECGEN_GATEWAY_PYTHON")
    if given:
        return given
    import gatewayenv

    try:
        return gatewayenv.install(GATEWAY_VERSION).python
    except gatewayenv.GatewayUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the gateway cannot be installed: {exc} (CI=true: these tests must run)")
        pytest.skip(f"the gateway cannot be installed: {exc}")


def _gateway(python: str, tmp_path: Path, *args: str, stdin: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPECGEN_", "PYTHON"))}
    env.update({
        "AUTH_ENCRYPTION_SECRET": SECRET,
        "JWT_SECRET_KEY": "Jq8#vN2!xL7@pR4$kT9^mW3&zB6*cF1(",
        "PLATFORM_ADMIN_EMAIL": "admin@example.com",
        "PLATFORM_ADMIN_PASSWORD": "Adm1n!Passw0rd#2026",
        "DEFAULT_USER_PASSWORD": "Us3r!Passw0rd#2026",
        "BASIC_AUTH_PASSWORD": "Bas1c!Passw0rd#2026",
        "DATABASE_URL": f"sqlite:///{tmp_path}/gateway-settings.db",  # never opened: the helper reads files
        "LOG_LEVEL": "ERROR",
    })
    proc = subprocess.run([python, str(HELPER), *args], input=stdin, capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_the_gateway_decrypts_random_values_of_every_length(gateway_python, tmp_path):
    rng = np.random.default_rng(7)
    lengths = [0, 1, 2, 12, 15, 16, 17, 31, 32, 33, 48, 64, 255, 256, 257, 1024] + list(rng.integers(0, 200, 2500))
    texts = ["".join(map(chr, rng.integers(32, 127 if i % 4 else 0x2FFF, int(n)))) for i, n in enumerate(lengths)]
    # JSON objects too, as encode_auth writes them (orjson: compact, UTF-8): decode_auth parses them.
    texts += [json.dumps({"Authorization": f"Bearer {t}"}, separators=(",", ":"), ensure_ascii=False) for t in texts[:800]]
    words = rng.integers(0, 2**63, len(texts)).astype(np.uint64)
    gcm = crypto.encrypt(crypto.SCHEMES["aes256gcm-sha256-b64url"], SECRET.encode(), pl.Series(texts), words, b"")
    fernet = crypto.encrypt(crypto.SCHEMES["fernet-argon2id-v2"], SECRET.encode(), pl.Series(texts[:2000]),
                            words[:2000], bytes(range(16)), rng.integers(0, 2**32, 2000))
    doc = {"gcm": list(zip(gcm.to_list(), texts, strict=True)),
           "fernet": list(zip(fernet.to_list(), texts[:2000], strict=True))}
    result = _gateway(gateway_python, tmp_path, "values", stdin=json.dumps(doc))
    assert result["failures"] == []
    orm = sum(1 for i, t in enumerate(texts[:2000]) if i % 10 == 0 and t)  # every tenth, through EncryptedText
    assert result["checked"] == {"gcm": len(texts), "decode_auth": 800, "fernet": 2000, "encrypted_text": orm}


@pytest.fixture(scope="module")
def small_dump(tmp_path_factory):
    """`small` compiled with the secret (as users run it) and loaded into SQLite."""
    tmp = tmp_path_factory.mktemp("gateway-small")
    dump, db = tmp / "dump", tmp / "mcp.db"
    env = {"AUTH_ENCRYPTION_SECRET": SECRET}
    runs = [run_cli("compile", "--specs", str(ROOT / "specs"), "--profile", "small", "--dialect", "sqlite",
                    "--out", str(dump), env=env, check=True),
            run_cli("load", str(dump), "--url", f"sqlite:///{db}", env=env, check=True),
            run_cli("verify", str(dump), "--url", f"sqlite:///{db}", env=env, check=True)]
    return tmp, dump, db, runs


def _column(db: Path, table: str, column: str, where: str = "1") -> list:
    with sqlite3.connect(db) as c:
        return [r[0] for r in c.execute(f"SELECT {column} FROM {table} WHERE {where}")]


def test_every_encrypted_value_of_the_small_dump_reads_back_through_the_gateway(gateway_python, small_dump):
    tmp, dump, db, _ = small_dump
    got = _gateway(gateway_python, tmp, "dump", str(db))
    # Every value: as many decrypted as the tables hold.
    for table in ("gateways", "a2a_agents"):
        assert len([a for a in got["auth"] if a["table"] == table]) == len(_column(db, table, "auth_value", "auth_value IS NOT NULL"))
        assert len([q for q in got["query_params"] if q["table"] == table]) == len(
            _column(db, table, "auth_query_params", "auth_query_params IS NOT NULL"))
        assert len([o for o in got["oauth_config"] if o["table"] == table]) == len(_column(db, table, "oauth_config", "oauth_config IS NOT NULL"))
    tokens = len(_column(db, "oauth_tokens", "access_token")) + len(_column(db, "oauth_tokens", "refresh_token", "refresh_token IS NOT NULL"))
    assert len(got["tokens"]) == tokens
    assert {a["auth_type"] for a in got["auth"]} == {"basic", "bearer", "authheaders"}
    assert got["query_params"] and got["oauth_config"] and tokens

    # In the shape the gateway writes for each kind, as its Read schemas show it.
    for a in got["auth"]:
        kind, decoded = a["auth_type"], a["decoded"]
        if kind == "basic":
            expected_user = a["owner"] if a["table"] == "gateways" else f"a2a-{a['slug']}"
            assert a["username"] == expected_user and len(a["password"]) == 20
            creds = base64.b64encode(f"{a['username']}:{a['password']}".encode()).decode()
            assert decoded == {"Authorization": f"Basic {creds}"}
        elif kind == "bearer":
            assert decoded == {"Authorization": f"Bearer {a['token']}"} and len(a["token"]) >= 40
        else:
            assert decoded == {a["header_key"]: a["header_value"]} and len(a["header_value"]) == 32
            assert re.fullmatch(r"[A-Za-z0-9-]+", a["header_key"])
    for q in got["query_params"]:
        assert q["auth_type"] == "query_param" and re.fullmatch(r"[A-Za-z0-9_-]{32}", q["decoded"]["api_key"])
    for o in got["oauth_config"]:
        assert o["auth_type"] == "oauth" and o["stored"].startswith("v2:{")
        assert re.fullmatch(r"[A-Za-z0-9_-]{40}", o["client_secret"])
    for t in got["tokens"]:
        assert t["stored"].startswith('v2:{"version":"v2","kdf":"argon2id"')
        pattern = r"(gho_|ya29\.)?[A-Za-z0-9_-]{43}" if t["column"] == "access_token" else r"[A-Za-z0-9_-]{64}"
        assert re.fullmatch(pattern, t["read"]), t["read"]

    # Kinds and credentials agree; no credential without its kind, no kind without its credential.
    for table in ("gateways", "a2a_agents"):
        assert not _column(db, table, "id", "auth_type IS NULL AND (auth_value IS NOT NULL OR auth_query_params IS NOT NULL "
                                            "OR oauth_config IS NOT NULL)")
        assert not _column(db, table, "id", "auth_type IN ('basic', 'bearer', 'authheaders') AND auth_value IS NULL")


def test_the_manifest_names_schemes_and_records_nothing_of_the_secret(small_dump):
    _, dump, _, _ = small_dump
    m = json.loads((dump / "manifest.json").read_text())
    assert m["encryption"] == {"AUTH_ENCRYPTION_SECRET": "set"}
    encrypted = {(t, c["name"]): c["encrypted"] for t, e in m["tables"].items() for c in e["columns"] if "encrypted" in c}
    assert encrypted[("gateways", "auth_value")] == [{"scheme": "aes256gcm-sha256-b64url", "secret_env": "AUTH_ENCRYPTION_SECRET"}]
    assert encrypted[("oauth_tokens", "access_token")] == [{"scheme": "fernet-argon2id-v2", "secret_env": "AUTH_ENCRYPTION_SECRET"}]
    assert set(encrypted) == {(t, c) for t in ("gateways", "a2a_agents") for c in ("auth_value", "auth_query_params", "oauth_config")} | {
        ("oauth_tokens", "access_token"), ("oauth_tokens", "refresh_token")}


def _traces_of_the_secret() -> list[bytes]:
    """The secret and what would test guesses of it cheaply: its SHA-256 (the AES-GCM key)."""
    key = hashlib.sha256(SECRET.encode()).digest()
    return [SECRET.encode(), SECRET.encode("unicode_escape"), SECRET[:12].encode(), key, key.hex().encode(),
            base64.b64encode(key), base64.urlsafe_b64encode(key)]


def test_the_secret_is_in_no_file_and_no_output(small_dump):
    tmp, dump, db, runs = small_dump
    files = [p for p in dump.rglob("*") if p.is_file()] + [db]
    cache = Path(os.environ["SPECGEN_CACHE_DIR"])
    files += [p for p in cache.rglob("*") if p.is_file()] if cache.is_dir() else []
    assert len(files) > 30
    for trace in _traces_of_the_secret():
        assert not [p for p in files if trace in p.read_bytes()], trace
        for proc in runs:
            assert trace not in proc.stdout and trace not in proc.stderr


def test_the_secret_is_in_no_error_message(tmp_path):
    broken = write_spec_set(tmp_path, {"t.yaml": (
        "table: t\nrows: 10\ncolumns:\n"
        "  v: {type: text, gen: {encrypt: {value: {token: {}}, scheme: aes256gcm-sha256-b64ur, secret: {env: AUTH_ENCRYPTION_SECRET}}}}\n")})
    outputs = []
    for args in (("validate", "--specs", str(broken)),
                 ("compile", "--specs", str(broken), "--profile", "default", "--out", str(tmp_path / "out")),
                 ("--debug", "compile", "--specs", str(broken), "--profile", "default", "--out", str(tmp_path / "out"))):
        proc = run_cli(*args, env={"AUTH_ENCRYPTION_SECRET": SECRET})
        assert proc.returncode == 1
        outputs.append(proc.stdout + proc.stderr)
    assert b"aes256gcm-sha256-b64ur" in outputs[0]
    # A secret the environment holds as undecodable bytes: the error names the variable, not the value.
    ok = write_spec_set(tmp_path / "ok", {"t.yaml": (
        "table: t\nrows: 10\ncolumns:\n"
        "  v: {type: text, gen: {encrypt: {value: {token: {}}, scheme: aes256gcm-sha256-b64url, secret: {env: AUTH_ENCRYPTION_SECRET}}}}\n")})
    bad = SECRET[:10] + "\udcff" + SECRET[10:]
    for debug in ((), ("--debug",)):
        proc = run_cli(*debug, "compile", "--specs", str(ok), "--profile", "default", "--out", str(tmp_path / "o2"),
                       env={"AUTH_ENCRYPTION_SECRET": bad})
        assert proc.returncode == 1 and b"AUTH_ENCRYPTION_SECRET does not hold valid UTF-8" in proc.stderr
        outputs.append(proc.stdout + proc.stderr)
    for out in outputs:
        for trace in [*_traces_of_the_secret(), SECRET[:10].encode()]:
            assert trace not in out


def test_the_encrypted_dump_is_byte_identical_with_worker_processes(small_dump, tmp_path):
    """Worker processes read the secret from the environment they inherit: the same bytes as in-process."""
    _, dump, _, _ = small_dump
    other = tmp_path / "workers"
    run_cli("compile", "--specs", str(ROOT / "specs"), "--profile", "small", "--dialect", "sqlite", "--out", str(other),
            "--workers", "2", env={"AUTH_ENCRYPTION_SECRET": SECRET}, check=True)
    assert (other / "manifest.json").read_bytes() == (dump / "manifest.json").read_bytes()  # every part's sha256
