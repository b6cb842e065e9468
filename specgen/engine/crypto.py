"""Encrypted columns in the formats the MCP gateway decrypts, computed for a whole batch at once.

A *scheme* (``SCHEMES``) says how a plaintext becomes the stored text:

* ``aes256gcm-sha256-b64url`` - the gateway's ``encode_auth`` (``mcpgateway/utils/services_auth.py``),
  used for ``auth_value`` and the values of ``auth_query_params``: key = SHA-256 of the secret's
  UTF-8 bytes; AES-256-GCM, 12-byte nonce, 16-byte tag, no associated data; stored as base64url
  without padding of nonce || ciphertext || tag.
* ``fernet-argon2id-v2`` - the gateway's ``EncryptionService.encrypt_secret``
  (``mcpgateway/services/encryption_service.py``), behind the ``EncryptedText`` column type and
  OAuth client secrets: Fernet key = Argon2id(secret, 16-byte salt, t=3, m=64 MiB, p=1, 32 bytes)
  (signing key its first half, AES-128 key its second); Fernet token = 0x80 || time (8 bytes,
  big-endian) || IV (16) || AES-128-CBC of the PKCS7-padded plaintext || HMAC-SHA256 of all that,
  base64url with padding; stored as ``v2:`` and the compact JSON bundle
  ``{"version":"v2","kdf":"argon2id","t":3,"m":65536,"p":1,"salt":<base64>,"token":<token>}``.

Determinism. The output is a pure function of (secret, seed, table, column, row, plaintext): a
dump is byte-reproducible for a given secret. The Argon2id salt is derived from the seed and the
column (one key derivation per column and process, not per row). Nonces and IVs are *synthetic*,
as in SIV modes: a pseudo-random function, keyed by a key derived from the cipher key, of the
row's stream word and of the plaintext (CBC-MAC with AES over a first block holding the word and
the length, then the plaintext's blocks). One key therefore never encrypts two different
plaintexts under one nonce - not even when the same seed, table, column and row are compiled
again from an edited spec or under another profile (a nonce derived from the row alone would be
reused then, and AES-GCM with a reused nonce gives away the XOR of the plaintexts and its
authentication key). Two different inputs share a nonce only with probability 2^-96 per pair, the
bound random nonces have too; the same plaintext in the same row gives the same bytes. The MAC
is keyed, so a nonce tells nothing about its plaintext to someone without the secret.

Vectorised. Rows are sorted by their number of 16-byte blocks; block position k is processed at
once for every row that has a block k. AES runs through ``cryptography`` in ECB mode over many
blocks per call: the whole GCM key stream of a batch (every row's counter blocks) in one call,
CBC and CBC-MAC one call per block position. GHASH multiplies by a fixed H, which is linear over
GF(2): a product is the XOR of 16 table entries, one per byte (16 x 256 precomputed products), so
a block step is 16 gathers and XORs over all active rows. Fernet's HMAC-SHA256 is computed one row
at a time with ``hashlib`` from precomputed key states: a SHA-256 in numpy, 64 rounds of 32-bit
operations per block over all rows, costs more than the per-row calls.

The secret is read from the environment variable the spec names, when a batch is generated; it
is never stored in a model, plan, job, manifest or message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import hashlib
import hmac
import os
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from specgen.engine.column import from_arrow
from specgen.errors import SpecgenError


@dataclass(frozen=True)
class Scheme:
    """How a plaintext becomes stored text (see the module doc for the two formats)."""

    name: str
    kdf: str  # "sha256": the key is SHA-256 of the secret; "argon2id": Argon2id with a salt
    cipher: str  # "aes-256-gcm", or "fernet" (AES-128-CBC then HMAC-SHA256)
    nonce_bytes: int  # the GCM nonce or the CBC IV
    overhead: int  # bytes of the token besides the (padded) ciphertext
    block_padding: bool  # PKCS7 to whole blocks (CBC)
    base64_padding: bool  # base64url keeps its '=' padding
    envelope: str = "{token}"  # the stored text around the base64 token
    argon2: tuple[int, int, int] | None = None  # time cost, memory (KiB), lanes
    salt_bytes: int = 0
    embeds_time: bool = False  # the token carries the time of encryption
    gateway: str = ""  # what writes and reads it in the gateway


SCHEMES: dict[str, Scheme] = {
    "aes256gcm-sha256-b64url": Scheme(
        name="aes256gcm-sha256-b64url", kdf="sha256", cipher="aes-256-gcm", nonce_bytes=12,
        overhead=12 + 16, block_padding=False, base64_padding=False,
        gateway="mcpgateway.utils.services_auth encode_auth / decode_auth",
    ),
    "fernet-argon2id-v2": Scheme(
        name="fernet-argon2id-v2", kdf="argon2id", cipher="fernet", nonce_bytes=16,
        overhead=1 + 8 + 16 + 32, block_padding=True, base64_padding=True,
        envelope='v2:{{"version":"v2","kdf":"argon2id","t":{t},"m":{m},"p":{p},"salt":"{salt}","token":"{{token}}"}}',
        argon2=(3, 65536, 1), salt_bytes=16, embeds_time=True,
        gateway="mcpgateway.services.encryption_service EncryptionService (v2), db.EncryptedText",
    ),
}


# -- the secret ------------------------------------------------------------------------------------


def read_secret(env: str) -> bytes | None:
    """The secret in environment variable ``env`` as UTF-8 bytes (what the gateway hashes); None
    when it is unset or empty (the gateway treats an empty secret as none)."""
    value = os.environ.get(env)
    if not value:
        return None
    try:
        return value.encode("utf-8")
    except UnicodeError:  # undecodable bytes in the environment; the message must not show them
        raise SpecgenError(f"environment variable {env} does not hold valid UTF-8 text, so it cannot be "
                           "the gateway's secret") from None


def presence(envs) -> dict[str, bool]:
    """Which of the variables ``envs`` hold a secret here."""
    return {e: bool(os.environ.get(e)) for e in sorted(set(envs))}


def check_presence(expected: dict[str, bool]) -> None:
    """A worker must have the client's secrets: parts written without one would hold NULLs where
    the others hold ciphertext."""
    here = presence(expected)
    for env, want in expected.items():
        if here[env] != want:
            where = "the client has it but this worker does not" if want else "this worker has it but the client does not"
            raise SpecgenError(f"environment variable {env} (a secret the specs encrypt with): {where}. Give every "
                               "worker the same environment as the client.")


_KEYS: dict[tuple, tuple[bytes, bytes]] = {}


def _keys(scheme: Scheme, secret: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """(cipher key, key of the synthetic nonces), derived once per process, secret and salt."""
    k = (scheme.name, secret, salt)
    got = _KEYS.get(k)
    if got is None:
        if scheme.kdf == "sha256":
            key = hashlib.sha256(secret).digest()
        else:
            from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

            t, m, p = scheme.argon2
            key = Argon2id(salt=salt, length=32, iterations=t, lanes=p, memory_cost=m).derive(secret)
        siv = hmac.digest(key, b"specgen synthetic nonce\0" + scheme.name.encode(), "sha256")
        if len(_KEYS) >= 16:
            _KEYS.clear()
        got = _KEYS[k] = (key, siv)
    return got


# -- sizing: plan estimates without keys --------------------------------------------------------------

_SIZING: contextvars.ContextVar[bool] = contextvars.ContextVar("specgen_crypto_sizing", default=False)


@contextlib.contextmanager
def sizing():
    """Within: ``encrypt`` returns filler of the exact stored length, without deriving a key (the
    plan's size estimate generates a few rows of every table; Argon2id is slow by design)."""
    token = _SIZING.set(True)
    try:
        yield
    finally:
        _SIZING.reset(token)


# -- AES building blocks ------------------------------------------------------------------------------

_AR16 = np.arange(16, dtype=np.int64)


def _put(out: np.ndarray, at: np.ndarray, values: np.ndarray) -> None:
    """``out[at[i]:at[i] + w] = values[i]`` for (m, w) ``values``: one w-byte copy per value, through
    a view of ``out`` as overlapping w-byte items (an order of magnitude faster than a scatter of
    every byte)."""
    w = values.shape[1]
    if len(at):
        items = np.ndarray(shape=(len(out) - w + 1,), dtype=f"V{w}", buffer=out, strides=(1,))
        items[at] = np.ascontiguousarray(values).view(f"V{w}").ravel()


def _ecb(key: bytes):
    """AES-ECB over (m, 16) uint8 blocks: one ``cryptography`` call per batch of blocks, written
    straight into a numpy array (a bytes object per call cost as much as the AES itself)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()

    def run(blocks: np.ndarray) -> np.ndarray:
        out = np.empty(16 * len(blocks) + 15, dtype=np.uint8)  # update_into wants a block of slack
        enc.update_into(np.ascontiguousarray(blocks, dtype=np.uint8), out)
        return out[:16 * len(blocks)].reshape(-1, 16)

    return run


class _Blocks:
    """The plaintexts of a batch cut into 16-byte blocks, rows sorted by block count (descending),
    so that the rows having a block k are the first ``active[k]`` - and of those, the rows from
    ``active[k + 1]`` on are the ones whose last block it is."""

    def __init__(self, data: np.ndarray, start: np.ndarray, length: np.ndarray, pkcs7: bool):
        nb = length // 16 + 1 if pkcs7 else (length + 15) // 16
        self.order = np.argsort(-nb, kind="stable")
        self.length = length[self.order]
        self.start = start[self.order]
        top = int(nb.max()) if len(nb) else 0
        sorted_nb = nb[self.order]
        self.active = [int(np.searchsorted(-sorted_nb, -k, side="left")) for k in range(top)] + [0]
        # 16-byte items at every offset (a view): block k of a row is one item
        padded = np.concatenate([data, np.zeros(16, dtype=np.uint8)])
        self.windows = np.ndarray(shape=(len(padded) - 15,), dtype="V16", buffer=padded, strides=(1,))
        self.pkcs7 = pkcs7
        self._cache: dict[int, np.ndarray] = {}

    @property
    def positions(self) -> list[int]:
        """Rows having a block k, for each k."""
        return self.active[:-1]

    def tail(self, k: int) -> tuple[int, np.ndarray]:
        """(first row whose last block is k, which bytes of those rows' block k are plaintext)."""
        lo, m = self.active[k + 1], self.active[k]
        return lo, (16 * k + _AR16) < self.length[lo:m, None]

    def block(self, k: int) -> np.ndarray:
        """Block k of the active rows, (m, 16); past the plaintext PKCS7 padding or zeros."""
        blk = self._cache.get(k)
        if blk is None:
            m = self.active[k]
            blk = self.windows[self.start[:m] + 16 * k].view(np.uint8).reshape(-1, 16)
            lo, valid = self.tail(k)
            if lo < m:
                pad = (16 - self.length[lo:m, None] % 16).astype(np.uint8) if self.pkcs7 else np.uint8(0)
                blk[lo:m] = np.where(valid, blk[lo:m], pad)
            self._cache[k] = blk
        return blk


def _cbc_mac(ecb, first: np.ndarray, blocks: _Blocks) -> np.ndarray:
    """CBC-MAC of each row's first block and plaintext blocks (rows in ``blocks``' order). The
    first block holds the length, so the encoding is prefix-free: a pseudo-random function."""
    x = ecb(first)
    for k, m in enumerate(blocks.positions):
        x[:m] = ecb(x[:m] ^ blocks.block(k))
    return x


def _first_blocks(words: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Stream word (8 bytes, little-endian) || plaintext length (8 bytes, big-endian)."""
    first = np.empty((len(words), 16), dtype=np.uint8)
    first[:, :8] = words.astype("<u8").view(np.uint8).reshape(-1, 8)
    first[:, 8:] = length.astype(">u8").view(np.uint8).reshape(-1, 8)
    return first


# -- GHASH ----------------------------------------------------------------------------------------------

_R = 0xE1 << 120
_MASK64 = (1 << 64) - 1
_BITS = ((np.arange(256)[:, None] >> (7 - np.arange(8))[None, :]) & 1).astype(np.uint64)  # MSB first


def _ghash_table(h: bytes) -> np.ndarray:
    """(16, 256, 2) uint64: entry [p, v] is the block with byte p = v (others 0) times H, as two
    big-endian 64-bit halves. GCM's bit order: bit 0 is the most significant bit of byte 0, and
    X * x (one step) is a right shift, reduced by R = 0xE1 || 0^120 (NIST SP 800-38D)."""
    v = int.from_bytes(h, "big")
    powers = []  # e_i * H for i = 0..127
    for _ in range(128):
        powers.append((v >> 64, v & _MASK64))
        v = (v >> 1) ^ _R if v & 1 else v >> 1
    p = np.array(powers, dtype=np.uint64).reshape(16, 8, 2)
    return np.ascontiguousarray(np.bitwise_xor.reduce(_BITS[None, :, :, None] * p[:, None, :, :], axis=2))


def _gmul(table: np.ndarray, y: np.ndarray) -> np.ndarray:
    """y * H for (m, 2) uint64 blocks: the XOR of one table entry per byte (a gather per byte
    position over all rows: an order of magnitude faster than one gather of every byte)."""
    b = y.astype(">u8").view(np.uint8).reshape(-1, 16)
    acc = np.take(table[0], b[:, 0], axis=0)
    for p in range(1, 16):
        acc ^= np.take(table[p], b[:, p], axis=0)
    return acc


def _as_words(blk: np.ndarray) -> np.ndarray:
    """(m, 16) bytes -> (m, 2) uint64, big-endian halves."""
    return np.ascontiguousarray(blk).view(">u8").astype(np.uint64)


def _gcm(key: bytes, nonces: np.ndarray, blocks: _Blocks, out: np.ndarray, ct_at: np.ndarray) -> np.ndarray:
    """AES-GCM of every row (in ``blocks``' order) with its nonce. Sorted row j's ciphertext is
    written at ``out[ct_at[j]:]`` in whole blocks: up to 15 bytes past its end, where the caller
    writes the tag afterwards. Returns the tags, (n, 16)."""
    ecb = _ecb(key)
    n = len(nonces)
    table = _ghash_table(bytes(ecb(np.zeros((1, 16), dtype=np.uint8))[0]))
    # Every counter block of the batch: J0 = nonce || 1 (for the tag), then nonce || k+2 for block k
    # of the rows that have one (the first m).
    counters = np.empty((n + sum(blocks.positions), 16), dtype=np.uint8)
    at = 0
    for ctr, m in enumerate([n, *blocks.positions], start=1):
        counters[at:at + m, :12] = nonces[:m]
        counters[at:at + m, 12:] = np.frombuffer(ctr.to_bytes(4, "big"), dtype=np.uint8)
        at += m
    stream = ecb(counters)
    y = np.zeros((n, 2), dtype=np.uint64)
    at = n
    for k, m in enumerate(blocks.positions):
        c = blocks.block(k) ^ stream[at:at + m]
        at += m
        _put(out, ct_at[:m] + 16 * k, c)
        lo, valid = blocks.tail(k)
        c[lo:] &= valid.view(np.uint8) * np.uint8(255)  # GHASH pads the last block with zeros
        y[:m] = _gmul(table, y[:m] ^ _as_words(c))
    y[:, 1] ^= (blocks.length * 8).astype(np.uint64)  # len(A) = 0 || len(C) in bits
    y = _gmul(table, y)
    return y.astype(">u8").view(np.uint8).reshape(n, 16) ^ stream[:n]


def _cbc(key: bytes, ivs: np.ndarray, blocks: _Blocks, out: np.ndarray, ct_at: np.ndarray) -> None:
    """AES-CBC of every row's PKCS7-padded plaintext; sorted row j's ciphertext goes to
    ``out[ct_at[j]:]``."""
    ecb = _ecb(key)
    x = ivs.copy()
    for k, m in enumerate(blocks.positions):
        x[:m] = ecb(x[:m] ^ blocks.block(k))
        _put(out, ct_at[:m] + 16 * k, x[:m])


# -- text in, text out -----------------------------------------------------------------------------------


def _utf8(texts: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(data, start, length, nulls) of a String Series, from its Arrow buffers."""
    nulls = texts.is_null().to_numpy()
    arr = texts.fill_null("").to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type not in (pa.large_string(), pa.string()):
        arr = arr.cast(pa.large_string())
    bufs = arr.buffers()
    width = np.int64 if arr.type == pa.large_string() else np.int32
    offsets = np.frombuffer(bufs[1], dtype=width)[arr.offset:arr.offset + len(arr) + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.empty(0, dtype=np.uint8)
    return data, offsets[:-1], np.diff(offsets), nulls


def _text(data: np.ndarray, lengths: np.ndarray) -> pl.Series:
    """A String Series from concatenated UTF-8 bytes and each value's length."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    arr = pa.Array.from_buffers(pa.large_string(), len(lengths),
                                [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))])
    return from_arrow(arr)


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _layout(size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each row's token starts in a buffer where every token is zero-padded to a multiple of
    3 bytes (so base64 runs over the whole buffer at once), and that buffer."""
    padded = (size + 2) // 3 * 3
    at = np.cumsum(padded) - padded
    return at, np.zeros(int(padded.sum()), dtype=np.uint8)


def _base64url(out: np.ndarray, size: np.ndarray, padding: bool) -> pl.Series:
    """Each row's token (laid out by ``_layout``) in base64url, with or without '=' padding: rows
    are padded to whole 3-byte groups, so the base64 of the buffer is that of the rows one after
    another; the symbols that stand for padding become '=' or go."""
    sym = np.frombuffer(binascii.b2a_base64(out, newline=False).translate(_URLSAFE), dtype=np.uint8)
    symbols = (size + 2) // 3 * 4
    end = np.cumsum(symbols)
    short = (size + 2) // 3 * 3 - size  # zero bytes added: 0, 1 or 2; as many symbols are padding
    last, second = end[short >= 1] - 1, end[short == 2] - 2
    if padding:
        sym = sym.copy()
        sym[last] = ord("=")
        sym[second] = ord("=")
        return _text(sym, symbols)
    keep = np.ones(len(sym), dtype=bool)
    keep[last] = False
    keep[second] = False
    return _text(sym[keep], symbols - short)


def envelope(scheme: Scheme, salt: bytes) -> tuple[str, str]:
    """The stored text before and after the base64 token."""
    text = scheme.envelope
    if scheme.argon2 is not None:
        t, m, p = scheme.argon2
        text = text.format(t=t, m=m, p=p, salt=base64.b64encode(salt).decode())
    before, _, after = text.partition("{token}")
    return before, after


def stored_length(scheme: Scheme, length: np.ndarray) -> np.ndarray:
    """Characters of the stored text for plaintexts of ``length`` bytes."""
    body = (length // 16 + 1) * 16 if scheme.block_padding else length
    raw = body + scheme.overhead
    b64 = 4 * ((raw + 2) // 3) if scheme.base64_padding else (4 * raw + 2) // 3
    before, after = envelope(scheme, bytes(scheme.salt_bytes))
    return b64 + len(before) + len(after)


def encrypt(scheme: Scheme, secret: bytes, texts: pl.Series, words: np.ndarray, salt: bytes,
            times: np.ndarray | None = None) -> pl.Series:
    """The stored text of each value of ``texts`` (UTF-8), NULL where it is NULL.

    ``words``: one uint64 per row from the row's own stream (seed, table, column, row), which
    makes nonces differ between rows; ``salt``: the column's (Argon2id schemes); ``times``: epoch
    seconds per row, for schemes whose token records the time of encryption.
    """
    data, start, length, nulls = _utf8(texts)
    n = len(length)
    if n == 0:
        return pl.Series([], dtype=pl.String)
    length = np.where(nulls, 0, length)
    if _SIZING.get():
        size = np.where(nulls, 0, stored_length(scheme, length))
        out = _text(np.full(int(size.sum()), ord("x"), dtype=np.uint8), size)
    elif scheme.cipher == "aes-256-gcm":
        out = _encrypt_gcm(scheme, secret, data, start, length, words)
    else:
        out = _encrypt_fernet(scheme, secret, data, start, length, words, salt,
                              np.zeros(n, dtype=np.int64) if times is None else times)
    if n and nulls.any():
        out = pl.select(pl.when(pl.lit(pl.Series(nulls))).then(None).otherwise(pl.lit(out))).to_series()
    return out


def _hmac_sha256(key: bytes, buf: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """HMAC-SHA256 of ``buf[start[i]:stop[i]]`` for each i, (n, 32). One row at a time (a SHA-256
    in numpy - 64 rounds of 32-bit operations per block over all rows - costs more), from the
    key's inner and outer states hashed once: more than twice as fast as ``hmac.digest`` per row."""
    block = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block)).copy
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block)).copy
    raw = memoryview(buf)
    macs = []
    for a, b in zip(start.tolist(), stop.tolist(), strict=True):
        h = inner()
        h.update(raw[a:b])
        o = outer()
        o.update(h.digest())
        macs.append(o.digest())
    return np.frombuffer(b"".join(macs), dtype=np.uint8).reshape(-1, 32)


def _encrypt_gcm(scheme, secret, data, start, length, words) -> pl.Series:
    key, siv = _keys(scheme, secret, b"")
    blocks = _Blocks(data, start, length, pkcs7=False)
    o = blocks.order
    nonces = np.ascontiguousarray(_cbc_mac(_ecb(siv), _first_blocks(words[o], blocks.length), blocks)[:, :12])
    size = length + scheme.overhead  # nonce || ciphertext || tag
    at, out = _layout(size)
    row_at = at[o]
    _put(out, row_at, nonces)
    tags = _gcm(key, nonces, blocks, out, row_at + 12)
    _put(out, row_at + 12 + blocks.length, tags)
    return _base64url(out, size, scheme.base64_padding)


def _encrypt_fernet(scheme, secret, data, start, length, words, salt, times) -> pl.Series:
    key, siv = _keys(scheme, secret, salt)
    sign, aes = key[:16], key[16:]
    blocks = _Blocks(data, start, length, pkcs7=True)
    o = blocks.order
    ivs = _cbc_mac(_ecb(siv), _first_blocks(words[o], blocks.length), blocks)
    size = (length // 16 + 1) * 16 + scheme.overhead  # 0x80 || time || IV || ciphertext || HMAC
    at, out = _layout(size)
    out[at] = 0x80
    _put(out, at + 1, times.astype(">u8").view(np.uint8).reshape(-1, 8))
    row_at = at[o]
    _put(out, row_at + 9, ivs)
    _cbc(aes, ivs, blocks, out, row_at + 25)
    signed = at + size - 32
    _put(out, signed, _hmac_sha256(sign, out, at, signed))
    tokens = _base64url(out, size, scheme.base64_padding)
    before, after = envelope(scheme, salt)
    if not before and not after:
        return tokens
    return pl.select(pl.concat_str([pl.lit(before), pl.lit(tokens), pl.lit(after)])).to_series()
