"""Kinds that build keys and identifiers from the row index: ``sequence``/``index``, ``ordinal``,
``hex``/``sha256``, ``uuid`` and ``token``, with the byte and hex-digit helpers they share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from specgen.engine import counter
from specgen.engine.column import Column, text_from_bytes
from specgen.engine.generators.base import Generator
from specgen.engine.generators.filters import INDEX_SAFE_FILTERS

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_B64URL = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)


# -- keys and sequences --------------------------------------------------------------------


@dataclass
class Sequence(Generator):
    start: int = 1
    step: int = 1
    kind = "int"
    unique = True
    names = ("sequence", "index")  # index: the row index, a sequence from 0
    draws = False
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(0, 1) if name == "index" else cls(p.get("start", 1), p.get("step", 1))

    def text_length(self):
        return 20

    def evaluate(self, rows, key, kind):
        return Column("int", rows.position() * self.step + self.start)


@dataclass
class Ordinal(Generator):
    """Position of the row among its parent's children (0, 1, 2, ...)."""

    start: int = 0
    kind = "int"
    names = ("ordinal",)
    draws = False
    dep_key = ("ordinal",)

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(p.get("start", 0))

    def text_length(self):
        return 20

    def differs_among_siblings(self, spec, filters):
        # Positions are numbers: slug, lower and pad keep them apart; no other filter is assumed to.
        return all(f[0] in INDEX_SAFE_FILTERS for f in filters)

    def deps(self):
        yield "_ordinal"

    def evaluate(self, rows, key, kind):
        return Column("int", rows.ordinal() + self.start)


# Two hex digits per byte value, as one uint16 (the bytes in memory order).
_HEX2 = np.empty((256, 2), dtype=np.uint8)
_HEX2[:, 0] = _HEX[np.arange(256) >> 4]
_HEX2[:, 1] = _HEX[np.arange(256) & 15]
_HEX2 = _HEX2.view(np.uint16).ravel()


def _le_bytes(w: np.ndarray) -> np.ndarray:
    """(n,) uint64 -> (n, 8) bytes, little-endian on every platform."""
    return w.astype("<u8", copy=False).view(np.uint8).reshape(-1, 8)


def _hex_of(data: np.ndarray) -> np.ndarray:
    """(n, k) bytes -> (n, 2k) ASCII hex digits."""
    return _HEX2[data].view(np.uint8).reshape(data.shape[0], 2 * data.shape[1])


def _word_bytes(key, idx, count: int) -> np.ndarray:
    """(n, 8*count) random bytes; the first 8 are a bijection of the row index."""
    out = np.empty((len(idx), 8 * count), dtype=np.uint8)
    for i in range(count):
        k = key if i == 0 else counter.sub_key(key, i)
        out[:, 8 * i : 8 * i + 8] = _le_bytes(counter.words(k, idx))
    return out


@dataclass
class Hex(Generator):
    """Random-looking hex digits; the first 16 encode a bijection of the row index."""

    length: int = 32
    kind = "text"
    names = ("hex", "sha256")  # sha256: 64 digits
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(64) if name == "sha256" else cls(p["length"])

    @property
    def unique(self):  # type: ignore[override]
        return self.length >= 16

    def pattern(self):
        return rf"^[0-9a-f]{{{self.length}}}$"

    def text_length(self):
        return self.length

    def evaluate(self, rows, key, kind):
        digits = _hex_of(_word_bytes(key, rows.idx, -(-self.length // 16)))
        if digits.shape[1] != self.length:
            digits = np.ascontiguousarray(digits[:, : self.length])
        return Column("text", text_from_bytes(digits, self.length))


# UUID bytes 0-5 and 10-11 carry the bijective word, so the version (byte 6) and variant
# (byte 8) bits overwrite only the second word: ids stay unique by construction.
_DASH_SRC = [(0, 0, 8), (9, 8, 12), (14, 12, 16), (19, 16, 20), (24, 20, 32)]
HEX32_RE = r"^[0-9a-f]{32}$"
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


@dataclass
class Uuid(Generator):
    """Version-4-shaped UUIDs: 32 hex digits, or 36 characters with dashes."""

    dashes: bool = True
    kind = "text"
    unique = True
    names = ("uuid",)
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(p.get("dashes", True))

    def pattern(self):
        return UUID_RE if self.dashes else HEX32_RE

    def text_length(self):
        return 36 if self.dashes else 32

    def evaluate(self, rows, key, kind):
        n = len(rows.idx)
        w1 = _le_bytes(counter.words(key, rows.idx))
        w2 = _le_bytes(counter.words(counter.sub_key(key, "lo"), rows.idx))
        b = np.empty((n, 16), dtype=np.uint8)
        b[:, 0:6] = w1[:, 0:6]
        b[:, 6:10] = w2[:, 0:4]
        b[:, 10:12] = w1[:, 6:8]
        b[:, 12:16] = w2[:, 4:8]
        b[:, 6] = (b[:, 6] & 0x0F) | 0x40
        b[:, 8] = (b[:, 8] & 0x3F) | 0x80
        digits = _hex_of(b)
        if not self.dashes:
            return Column("text", text_from_bytes(digits, 32))
        out = np.empty((n, 36), dtype=np.uint8)
        for dst, lo, hi in _DASH_SRC:
            out[:, dst : dst + hi - lo] = digits[:, lo:hi]
        out[:, [8, 13, 18, 23]] = ord("-")
        return Column("text", text_from_bytes(out, 36))


@dataclass
class Token(Generator):
    """URL-safe base64 tokens; the first 11 characters encode a bijection of the row index."""

    length: int = 43
    prefix: str = ""
    kind = "text"
    unique = True
    names = ("token",)
    valued = True

    @classmethod
    def from_spec(cls, name, params, p):
        return cls(p.get("length", 43), p.get("prefix", ""))

    def text_length(self):
        return len(self.prefix) + self.length

    def evaluate(self, rows, key, kind):
        # 11 symbols of 6 bits cover a 64-bit word (the last symbol holds 4 bits).
        shifts = np.array([58, 52, 46, 40, 34, 28, 22, 16, 10, 4], dtype=np.uint64)
        parts = []
        i = 0
        while 11 * len(parts) < self.length:
            w = counter.words(key if i == 0 else counter.sub_key(key, i), rows.idx)
            sym = np.empty((len(w), 11), dtype=np.uint8)
            sym[:, :10] = (w[:, None] >> shifts) & np.uint64(63)
            sym[:, 10] = (w & np.uint64(15)) << np.uint64(2)
            parts.append(sym)
            i += 1
        sym = np.concatenate(parts, axis=1)[:, : self.length] if len(parts) > 1 else parts[0][:, : self.length]
        s = text_from_bytes(np.ascontiguousarray(_B64URL[sym]), self.length)
        if self.prefix:
            s = pl.select(pl.concat_str([pl.lit(self.prefix), s])).to_series()
        return Column("text", s)
