"""The ``encrypt`` generator in a spec: NULL or its fallback without the secret (with a notice),
values that decrypt with it, dependent columns kept consistent with ``null_when: is_null``, JSON
columns, the time Fernet tokens record, chunking, and plan estimates that derive no key."""

from __future__ import annotations

import base64
import hashlib
import json

import polars as pl
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from conftest import run_cli, write_spec_set
from specgen import api
from specgen.engine import crypto

SECRET = "Zq9!vR2#kT7$wL4%pN8^xB3&mD6*cF1(-ü"


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


ENTITY = """\
table: services
rows: 500
columns:
  id: {type: integer, gen: sequence}
  updated_at: {type: timestamptz, gen: {timestamp: {}}}
  kind: {type: text, virtual: true, nullable: true, gen: {categorical: {values: [null, bearer, key], weights: [2, 5, 3]}}}
  auth_type: {type: varchar(20), nullable: true, null_when: {column: auth_value, is_null: true}, gen: {ref: kind}}
  auth_value:
    type: text
    nullable: true
    gen:
      switch:
        on: kind
        cases:
          bearer:
            encrypt:
              value: {template: {text: '{{"Authorization":"Bearer {t}"}}', parts: {t: {token: {length: 30}}}}}
              scheme: aes256gcm-sha256-b64url
              secret: {env: SPECGEN_TEST_SECRET}
          key:
            encrypt:
              value: {template: {text: '{{"X-API-Key":"{t}"}}', parts: {t: {hex: {length: 24}}}}}
              scheme: aes256gcm-sha256-b64url
              secret: {env: SPECGEN_TEST_SECRET}
  auth_json:
    type: json
    nullable: true
    gen: {encrypt: {value: {const: {a: 1}}, scheme: aes256gcm-sha256-b64url, secret: {env: SPECGEN_TEST_SECRET}}}
  config:
    type: json
    gen:
      json:
        object:
          client_id: {hex: {length: 8}}
          client_secret:
            encrypt:
              value: {token: {length: 20}}
              scheme: fernet-argon2id-v2
              secret: {env: SPECGEN_TEST_SECRET}
              at: updated_at
              fallback: {const: placeholder}
"""


@pytest.fixture
def spec_dir(tmp_path):
    return write_spec_set(tmp_path, {"services.yaml": ENTITY})


def test_without_the_secret_values_are_null_or_their_fallback(spec_dir, monkeypatch):
    monkeypatch.delenv("SPECGEN_TEST_SECRET", raising=False)
    df = api.generate_table(api.plan(spec_dir, "default"), "services")
    assert df["auth_value"].null_count() == df["auth_type"].null_count() == df["auth_json"].null_count() == 500
    assert {json.loads(c)["client_secret"] for c in df["config"]} == {"placeholder"}
    [notice] = api.notices(spec_dir)
    assert "SPECGEN_TEST_SECRET is not set" in notice
    assert "left NULL: services.auth_value, services.auth_json" in notice
    assert "unencrypted fallback: services.config" in notice


def test_with_the_secret_values_decrypt_and_dependent_columns_follow(spec_dir, monkeypatch):
    from cryptography.fernet import Fernet

    monkeypatch.setenv("SPECGEN_TEST_SECRET", SECRET)
    plan = api.plan(spec_dir, "default")
    df = api.generate_table(plan, "services")
    assert api.notices(spec_dir) == []
    key = AESGCM(hashlib.sha256(SECRET.encode()).digest())

    def decode(stored: str) -> dict:
        raw = _b64(stored)
        return json.loads(key.decrypt(raw[:12], raw[12:], None))

    for kind, value in df.select("auth_type", "auth_value").iter_rows():
        assert (kind is None) == (value is None)
        if kind == "bearer":
            assert decode(value)["Authorization"].startswith("Bearer ")
        elif kind == "key":
            assert list(decode(value)) == ["X-API-Key"]
    assert {json.dumps(decode(json.loads(v))) for v in df["auth_json"]} == {'{"a": 1}'}  # a JSON string
    salt = base64.b64decode(json.loads(json.loads(df["config"][0])["client_secret"][3:])["salt"])
    f = Fernet(base64.urlsafe_b64encode(Argon2id(salt=salt, length=32, iterations=3, lanes=1,
                                                 memory_cost=65536).derive(SECRET.encode())))
    for config, updated in df.select("config", "updated_at").iter_rows():
        token = json.loads(json.loads(config)["client_secret"][3:])["token"].encode()
        assert len(f.decrypt(token)) == 20 and f.extract_timestamp(token) == int(updated.timestamp())
    # Any chunking gives the same values.
    again = pl.concat([api.generate_table(plan, "services", a, b) for a, b in ((0, 7), (7, 333), (333, 500))])
    assert again.equals(df)


def test_the_plan_estimate_does_not_derive_keys(spec_dir, monkeypatch):
    monkeypatch.setenv("SPECGEN_TEST_SECRET", SECRET)
    crypto._KEYS.clear()
    api.plan(spec_dir, "default")
    assert not crypto._KEYS


def test_validate_prints_the_notice_and_succeeds(spec_dir):
    proc = run_cli("validate", "--specs", str(spec_dir), env={"SPECGEN_TEST_SECRET": ""})
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert err.count("notice: environment variable SPECGEN_TEST_SECRET is not set") == 1
    proc = run_cli("validate", "--specs", str(spec_dir), env={"SPECGEN_TEST_SECRET": SECRET})
    assert proc.returncode == 0 and "notice" not in proc.stderr.decode()
