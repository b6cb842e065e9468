"""A keyed bijection of ``[0, n)``, vectorised both ways: where an interleaved table's rows go.

A balanced Feistel network on the smallest even number of bits that holds ``n`` (round function:
the counter's 64-bit mix of the half, the round and the key), restricted to ``[0, n)`` by cycle
walking: a value that lands outside is permuted again until it lands inside. The network is a
bijection of its 2^(2k) words, so the walk is a bijection of ``[0, n)``; since ``n`` is more than a
quarter of the words, a value needs under four steps on average. The inverse runs the rounds
backwards with the same walk.
"""

from __future__ import annotations

import numpy as np

from specgen.engine import counter

ROUNDS = 4


class Permutation:
    def __init__(self, key: np.uint64, n: int):
        self.n = int(n)
        bits = max(2, (max(self.n - 1, 1)).bit_length())
        self.half = (bits + 1) // 2
        self.mask = np.uint64((1 << self.half) - 1)
        self.keys = [counter.sub_key(key, r) for r in range(ROUNDS)]

    def _round(self, x: np.ndarray, r: int) -> np.ndarray:
        return counter.words(self.keys[r], x) & self.mask

    def _network(self, x: np.ndarray, inverse: bool) -> np.ndarray:
        h = np.uint64(self.half)
        left, right = x >> h, x & self.mask
        if not inverse:
            for r in range(ROUNDS):
                left, right = right, left ^ self._round(right, r)
        else:
            for r in reversed(range(ROUNDS)):
                left, right = right ^ self._round(left, r), left
        return (left << h) | right

    def _walk(self, x: np.ndarray, inverse: bool) -> np.ndarray:
        y = self._network(np.asarray(x, dtype=np.int64).astype(np.uint64), inverse)
        out = y.copy()
        n = np.uint64(self.n)
        todo = np.flatnonzero(out >= n)
        while len(todo):
            out[todo] = self._network(out[todo], inverse)
            todo = todo[out[todo] >= n]
        return out.astype(np.int64)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return self._walk(x, False)

    def inverse(self, y: np.ndarray) -> np.ndarray:
        return self._walk(y, True)
