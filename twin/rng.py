"""Named random streams.

Every consumer of randomness asks for a stream by name (``"parcels.arrivals"``). The
stream's seed is derived from the run's root seed and a hash of the name, never from
the order in which streams are created, so adding a subsystem (a new name) leaves every
other stream's draws untouched. That is what makes common random numbers work when two
policies are compared with the same seed.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["Streams", "stream_key"]


def stream_key(name: str) -> tuple[int, ...]:
    """Four 32-bit words from SHA-256 of ``name``: stable across processes and platforms.

    Python's ``hash()`` is salted per process (PYTHONHASHSEED), so it cannot be used.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """The random streams of one run, created on first use and cached by name."""

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        """The generator for ``name`` (the same object on every call within a run)."""
        stream = self._streams.get(name)
        if stream is None:
            sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=stream_key(name))
            stream = np.random.Generator(np.random.PCG64(sequence))
            self._streams[name] = stream
        return stream

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the streams used so far, sorted."""
        return tuple(sorted(self._streams))
