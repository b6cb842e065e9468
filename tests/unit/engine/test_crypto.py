"""Encrypted columns: specgen's vectorised AES-GCM and Fernet are bit for bit what ``cryptography``
computes, nonces never repeat, output is reproducible, and the secret stays in the environment.
The gateway's own code decrypts them in tests/integration/specsets/test_gateway_crypto.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import numpy as np
import polars as pl
import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from hypothesis import given, settings
from hypothesis import strategies as st

from specgen.engine import crypto
from specgen.errors import SpecgenError

GCM = crypto.SCHEMES["aes256gcm-sha256-b64url"]
FERNET = crypto.SCHEMES["fernet-argon2id-v2"]
SECRET = "Zq9!vR2#kT7$wL4%pN8^xB3&mD6*cF1(-ü"
SALT = bytes(range(16))
FERNET_KEY = Argon2id(salt=SALT, length=32, iterations=3, lanes=1, memory_cost=65536).derive(SECRET.encode())
EDGE_LENGTHS = [0, 1, 2, 11, 12, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 255, 256, 257, 1000, 4096]


def _texts(n: int, seed: int = 0) -> list[str]:
    """Varied lengths - every edge around the 16-byte block, then random - ASCII and not."""
    rng = np.random.default_rng(seed)
    lengths = EDGE_LENGTHS + list(rng.integers(0, 300, n - len(EDGE_LENGTHS)))
    out = []
    for i, length in enumerate(lengths):
        top = 127 if i % 3 else 0x3000  # some multi-byte UTF-8
        out.append("".join(map(chr, rng.integers(32, top, int(length)))))
    return out


def _words(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**63, n).astype(np.uint64)


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _expected_gcm(stored: str, plain: str) -> str:
    """What cryptography's AESGCM makes of the plaintext under the nonce specgen chose."""
    nonce = _b64(stored)[:12]
    ct = AESGCM(hashlib.sha256(SECRET.encode()).digest()).encrypt(nonce, plain.encode(), None)
    return base64.urlsafe_b64encode(nonce + ct).rstrip(b"=").decode()


def _expected_fernet(stored: str, plain: str) -> str:
    """The v2 bundle cryptography's primitives make with specgen's IV and time: AES-128-CBC of the
    PKCS7-padded plaintext, HMAC-SHA256 of version, time, IV and ciphertext."""
    bundle = json.loads(stored[3:])
    token = base64.urlsafe_b64decode(bundle["token"])
    head = token[:25]  # 0x80, time, IV
    padder = padding.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(FERNET_KEY[16:]), modes.CBC(head[9:25])).encryptor()
    body = head + enc.update(padder.update(plain.encode()) + padder.finalize()) + enc.finalize()
    token = base64.urlsafe_b64encode(body + hmac.digest(FERNET_KEY[:16], body, "sha256")).decode()
    salt = base64.b64encode(SALT).decode()
    return ('v2:{"version":"v2","kdf":"argon2id","t":3,"m":65536,"p":1,"salt":"' + salt + '","token":"' + token + '"}')


def test_aes_gcm_is_bit_exact_on_thousands_of_values():
    texts = _texts(3000)
    out = crypto.encrypt(GCM, SECRET.encode(), pl.Series(texts), _words(3000), b"").to_list()
    assert all(o == _expected_gcm(o, t) for o, t in zip(out, texts, strict=True))
    assert not any("=" in o for o in out)
    for o, t in zip(out, texts, strict=True):  # and they decrypt
        raw = _b64(o)
        assert AESGCM(hashlib.sha256(SECRET.encode()).digest()).decrypt(raw[:12], raw[12:], None) == t.encode()


def test_fernet_bundles_are_bit_exact_on_thousands_of_values():
    from cryptography.fernet import Fernet

    texts = _texts(2000, seed=2)
    times = np.random.default_rng(3).integers(0, 2**33, len(texts))
    out = crypto.encrypt(FERNET, SECRET.encode(), pl.Series(texts), _words(2000), SALT, times).to_list()
    assert all(o == _expected_fernet(o, t) for o, t in zip(out, texts, strict=True))
    f = Fernet(base64.urlsafe_b64encode(FERNET_KEY))
    for o, t, when in zip(out[:200], texts, times, strict=False):
        token = json.loads(o[3:])["token"].encode()
        assert f.decrypt(token) == t.encode() and f.extract_timestamp(token) == when


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEXT, st.integers(0, 2**64 - 1)), min_size=1, max_size=40))
def test_property_both_schemes_match_cryptography(rows):
    texts = [t for t, _ in rows]
    words = np.array([w for _, w in rows], dtype=np.uint64)
    gcm = crypto.encrypt(GCM, SECRET.encode(), pl.Series(texts, dtype=pl.String), words, b"").to_list()
    assert gcm == [_expected_gcm(o, t) for o, t in zip(gcm, texts, strict=True)]
    fernet = crypto.encrypt(FERNET, SECRET.encode(), pl.Series(texts, dtype=pl.String), words, SALT,
                            np.zeros(len(rows), dtype=np.int64)).to_list()
    assert fernet == [_expected_fernet(o, t) for o, t in zip(fernet, texts, strict=True)]


@pytest.mark.parametrize("scheme", [GCM, FERNET], ids=lambda s: s.name)
def test_nonces_differ_per_row_and_per_plaintext_and_repeat_exactly(scheme):
    n = 5000
    same = pl.Series(["the same plaintext"] * n)
    words = _words(n)
    out = crypto.encrypt(scheme, SECRET.encode(), same, words, SALT).to_list()
    nonce = (lambda o: _b64(o)[:12]) if scheme is GCM else (lambda o: _b64(json.loads(o[3:])["token"])[9:25])
    assert len({nonce(o) for o in out}) == n  # one plaintext, n rows: n nonces
    other = crypto.encrypt(scheme, SECRET.encode(), pl.Series(["another plaintext"] * n), words, SALT).to_list()
    assert not {nonce(o) for o in out} & {nonce(o) for o in other}  # same rows, other plaintexts
    assert crypto.encrypt(scheme, SECRET.encode(), same, words, SALT).to_list() == out  # reproducible
    # A row's value does not depend on the batch it is in.
    parts = [crypto.encrypt(scheme, SECRET.encode(), same[a:b], words[a:b], SALT).to_list()
             for a, b in ((0, 17), (17, 3000), (3000, n))]
    assert sum(parts, []) == out


def test_nulls_stay_null_and_the_size_estimate_is_exact():
    texts = pl.Series(["a", None, "", "x" * 40, None])
    words = _words(5)
    for scheme in (GCM, FERNET):
        out = crypto.encrypt(scheme, SECRET.encode(), texts, words, SALT)
        assert out.is_null().to_list() == [False, True, False, False, True]
        with crypto.sizing():
            size = crypto.encrypt(scheme, SECRET.encode(), texts, words, SALT)
        assert size.str.len_chars().to_list() == out.str.len_chars().to_list()
    assert crypto.encrypt(GCM, SECRET.encode(), pl.Series([], dtype=pl.String), words[:0], b"").len() == 0


def test_the_secret_is_read_from_the_environment_only(monkeypatch):
    monkeypatch.delenv("SPECGEN_TEST_SECRET", raising=False)
    assert crypto.read_secret("SPECGEN_TEST_SECRET") is None
    monkeypatch.setenv("SPECGEN_TEST_SECRET", "")
    assert crypto.read_secret("SPECGEN_TEST_SECRET") is None  # empty: the gateway has no secret either
    monkeypatch.setenv("SPECGEN_TEST_SECRET", SECRET)
    assert crypto.read_secret("SPECGEN_TEST_SECRET") == SECRET.encode()
    monkeypatch.setenv("SPECGEN_TEST_SECRET", "abc\udcffdef")  # undecodable bytes in the environment
    with pytest.raises(SpecgenError) as exc:
        crypto.read_secret("SPECGEN_TEST_SECRET")
    assert "abc" not in str(exc.value) and "SPECGEN_TEST_SECRET" in str(exc.value)


def test_a_worker_must_have_the_clients_secrets(monkeypatch):
    monkeypatch.setenv("SPECGEN_TEST_SECRET", SECRET)
    crypto.check_presence({"SPECGEN_TEST_SECRET": True})
    with pytest.raises(SpecgenError, match="this worker has it but the client does not"):
        crypto.check_presence({"SPECGEN_TEST_SECRET": False})
    monkeypatch.delenv("SPECGEN_TEST_SECRET")
    with pytest.raises(SpecgenError, match="the client has it but this worker does not"):
        crypto.check_presence({"SPECGEN_TEST_SECRET": True})
