"""Hidden per-user traits (how long they stay, how active, how likely to pay, which phone).

A trait is a pure function of ``(seed, user_id, trait name)``: no table stores it, yet every
process that resumes the simulation sees the same values. The hash is SplitMix64, vectorised with
numpy (unsigned 64-bit arithmetic wraps around, which is exactly what the algorithm wants).
"""

from __future__ import annotations

import zlib

import numpy as np

from microproduct import world

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def uniform(seed: int, user_ids: np.ndarray, name: str) -> np.ndarray:
    """A uniform [0, 1) number per user, stable for (seed, user_id, name)."""
    salt = np.uint64((seed * 1_000_003 + zlib.crc32(name.encode())) % 2**63)
    with np.errstate(over="ignore"):
        mixed = _splitmix(_splitmix(np.asarray(user_ids, dtype=np.uint64) ^ _splitmix(salt)))
    return (mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53


def lognormal(seed: int, user_ids: np.ndarray, name: str, sigma: float) -> np.ndarray:
    """A log-normal trait with mean 1 (Box-Muller on two hashed uniforms)."""
    u1 = np.maximum(uniform(seed, user_ids, name + ":1"), 1e-12)
    u2 = uniform(seed, user_ids, name + ":2")
    normal = np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)
    return np.exp(sigma * normal - sigma**2 / 2)


def choice(seed: int, user_ids: np.ndarray, name: str, weights: list[float]) -> np.ndarray:
    """Index into ``weights`` per user (weights need not sum to 1)."""
    cumulative = np.cumsum(weights) / np.sum(weights)
    return np.minimum(
        np.searchsorted(cumulative, uniform(seed, user_ids, name), side="right"), len(weights) - 1
    )


class Traits:
    """All hidden traits of a set of users (arrays aligned with ``user_ids``)."""

    def __init__(self, seed: int, user_ids: np.ndarray, platform_weights: list[float]) -> None:
        ids = np.asarray(user_ids, dtype=np.int64)
        self.activity = lognormal(seed, ids, "activity", 0.8)  # sessions on an active day
        self.intent = lognormal(seed, ids, "intent", 0.7)  # multiplies conversion hazards
        # how long the user keeps the app (days after sign-up): a long or a short stayer
        long_stayer = uniform(seed, ids, "stay") < world.LONG_STAYER_SHARE
        mean_lifetime = np.where(
            long_stayer, world.LONG_STAYER_LIFETIME_DAYS, world.SHORT_STAYER_LIFETIME_DAYS
        )
        self.lifetime_days = -mean_lifetime * np.log1p(-uniform(seed, ids, "lifetime"))
        low, spread = world.ACTIVE_DAY_SHARE
        self.active_share = low + spread * uniform(seed, ids, "floor") ** 1.3  # days active
        low, spread = world.NOVELTY_DAYS
        self.novelty_days = low + spread * uniform(seed, ids, "decay")  # novelty wears off
        self.platform = choice(seed, ids, "platform", platform_weights)
        self.update_lag = (25 * uniform(seed, ids, "update_lag") ** 2).astype(np.int64)
