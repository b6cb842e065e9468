"""Counter-based randomness: every random number is a pure function of (key, counter).

A *stream key* is derived once from (seed, table, column, purpose) with BLAKE2b; a value for row
``i`` is ``mix64(key + (i + 1) * GAMMA)``, the SplitMix64 output function applied to a Weyl
sequence. ``mix64`` is a bijection of 64-bit words, so for a fixed key distinct counters give
distinct words: this is what makes index-built unique values (ids, hashes) unique by construction.

There is no generator state anywhere. Any row range, any scattered set of rows, any chunking or
worker split yields the same numbers, which is the basis of byte-reproducible output.
"""

from __future__ import annotations

import hashlib

import numpy as np

GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO53 = float(2**53)


def stream_key(seed: int, *names: object) -> np.uint64:
    """A 64-bit key for one named stream, e.g. ``stream_key(seed, "tools", "created_at")``."""
    text = "\x1f".join([str(int(seed)), *map(str, names)]).encode()
    return np.uint64(int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little"))


def mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, in place on a fresh uint64 array (a bijection of 64-bit words)."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def words(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """One pseudo-random uint64 per counter (counters: any integer array, e.g. row indices)."""
    z = np.asarray(counters).astype(np.uint64, copy=True)
    z += np.uint64(1)
    z *= GAMMA
    z += key
    return mix64(z)


def uniform(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """Doubles in the open interval (0, 1): safe for log() and inverse CDFs."""
    w = words(key, counters)
    w >>= _S11
    u = w.astype(np.float64)
    u += 0.5
    u /= _TWO53
    return u


def below(key: np.uint64, counters: np.ndarray, n: int | np.ndarray) -> np.ndarray:
    """Integers uniform in [0, n) (n scalar or per-counter array), as int64."""
    u = uniform(key, counters)
    out = (u * n).astype(np.int64)
    # u < 1 always, but u * n can round up to n for large n; clamp so the bound is exact.
    np.minimum(out, np.asarray(n, dtype=np.int64) - 1, out=out)
    return out


def normal(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """Standard normal deviates (Box-Muller on two independent sub-streams)."""
    u1 = uniform(key, counters)
    u2 = uniform(key ^ np.uint64(0x5851F42D4C957F2D), counters)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def sub_key(key: np.uint64, name: object) -> np.uint64:
    """A further independent stream derived from an existing key."""
    return stream_key(int(key), name)
