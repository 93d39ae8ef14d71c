"""Probability distributions declared as data.

A distribution is a frozen pydantic model with a ``kind`` tag, so a scenario file can
say ``{kind: lognormal, median: 8, sigma: 1.0}`` and get a validated object. Every
distribution offers ``sample(rng, n)`` (vectorised: draw in batches on hot paths),
``mean()`` and the survival function ``sf(x)`` = P(X > x), which analytic checks such as
the M_t/G/infinity occupancy integral need.

Extension: a new distribution is a new class here with a unique ``kind`` literal, added
to the ``Distribution`` union. Units are not part of a distribution: the field that
holds it names the unit (``pickup_delay_hours``, ``deposit_seconds``).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import stats

__all__ = [
    "Deterministic",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "Lognormal",
    "Triangular",
    "Uniform",
    "Weibull",
]

FloatArray = npt.NDArray[np.float64]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Base(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError

    def sf(self, x: FloatArray) -> FloatArray:
        raise NotImplementedError


class Exponential(_Base):
    kind: Literal["exponential"] = "exponential"
    mean_value: Positive = Field(alias="mean")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.exponential(self.mean_value, n)

    def mean(self) -> float:
        return self.mean_value

    def sf(self, x: FloatArray) -> FloatArray:
        return np.exp(-np.maximum(x, 0.0) / self.mean_value)


class Lognormal(_Base):
    """Lognormal given either ``median`` and ``sigma`` (of log X) or ``mean`` and ``sd``."""

    kind: Literal["lognormal"] = "lognormal"
    median: Positive | None = None
    sigma: Positive | None = None
    mean_value: Positive | None = Field(default=None, alias="mean")
    sd: Positive | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_parametrisation(self) -> Lognormal:
        by_median = self.median is not None and self.sigma is not None
        by_mean = self.mean_value is not None and self.sd is not None
        given = [v is not None for v in (self.median, self.sigma, self.mean_value, self.sd)]
        if by_median == by_mean or sum(given) != 2:
            raise ValueError("give either 'median' and 'sigma', or 'mean' and 'sd'")
        return self

    @property
    def mu_sigma(self) -> tuple[float, float]:
        """Parameters (mu, sigma) of log X."""
        if self.median is not None and self.sigma is not None:
            return math.log(self.median), self.sigma
        assert self.mean_value is not None and self.sd is not None
        s2 = math.log1p((self.sd / self.mean_value) ** 2)
        return math.log(self.mean_value) - s2 / 2, math.sqrt(s2)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        mu, sigma = self.mu_sigma
        return rng.lognormal(mu, sigma, n)

    def mean(self) -> float:
        mu, sigma = self.mu_sigma
        return math.exp(mu + sigma**2 / 2)

    def sf(self, x: FloatArray) -> FloatArray:
        mu, sigma = self.mu_sigma
        return np.asarray(stats.lognorm.sf(x, s=sigma, scale=math.exp(mu)), dtype=float)


class Gamma(_Base):
    kind: Literal["gamma"] = "gamma"
    shape: Positive
    scale: Positive

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.gamma(self.shape, self.scale, n)

    def mean(self) -> float:
        return self.shape * self.scale

    def sf(self, x: FloatArray) -> FloatArray:
        return np.asarray(stats.gamma.sf(x, a=self.shape, scale=self.scale), dtype=float)


class Weibull(_Base):
    kind: Literal["weibull"] = "weibull"
    shape: Positive
    scale: Positive

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return self.scale * rng.weibull(self.shape, n)

    def mean(self) -> float:
        return self.scale * math.gamma(1 + 1 / self.shape)

    def sf(self, x: FloatArray) -> FloatArray:
        return np.exp(-((np.maximum(x, 0.0) / self.scale) ** self.shape))


class Triangular(_Base):
    kind: Literal["triangular"] = "triangular"
    low: NonNegative
    mode: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("need low <= mode <= high and low < high")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.triangular(self.low, self.mode, self.high, n)

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def sf(self, x: FloatArray) -> FloatArray:
        c = (self.mode - self.low) / (self.high - self.low)
        dist = stats.triang(c, loc=self.low, scale=self.high - self.low)
        return np.asarray(dist.sf(x), dtype=float)


class Uniform(_Base):
    kind: Literal["uniform"] = "uniform"
    low: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError("need low <= high")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.uniform(self.low, self.high, n)

    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sf(self, x: FloatArray) -> FloatArray:
        width = self.high - self.low
        if width == 0:
            return (np.asarray(x) < self.low).astype(float)
        return np.clip((self.high - np.asarray(x)) / width, 0.0, 1.0)


class Deterministic(_Base):
    kind: Literal["deterministic"] = "deterministic"
    value: NonNegative

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.full(n, self.value)

    def mean(self) -> float:
        return self.value

    def sf(self, x: FloatArray) -> FloatArray:
        return (np.asarray(x) < self.value).astype(float)


class Empirical(_Base):
    """Resampling of observed values (for example dwell times read from a device log)."""

    kind: Literal["empirical"] = "empirical"
    values: tuple[NonNegative, ...] = Field(min_length=1)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.choice(np.asarray(self.values, dtype=float), n)

    def mean(self) -> float:
        return float(np.mean(self.values))

    def sf(self, x: FloatArray) -> FloatArray:
        observed = np.sort(np.asarray(self.values, dtype=float))
        below = np.searchsorted(observed, np.asarray(x, dtype=float), side="right")
        return 1.0 - below / observed.size


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Weibull | Triangular | Uniform | Deterministic | Empirical,
    Field(discriminator="kind"),
]
