"""Scenario sections for parcels, smart lockers and residents' pickups.

Defaults cite DOMAIN.md (sections 1a-1d). Each section is a frozen pydantic model with
unknown keys forbidden; the scenario layer nests them into the full scenario schema.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from twin import Distribution, Lognormal, Uniform

__all__ = [
    "SIZES",
    "Bank",
    "Channels",
    "Compartments",
    "Fees",
    "LockersConfig",
    "ParcelsConfig",
    "PickupConfig",
    "SizeMix",
    "Wave",
]

SIZES = ("S", "M", "L")
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _sums_to_one(values: tuple[float, ...], what: str) -> None:
    if not math.isclose(sum(values), 1.0, abs_tol=1e-6):
        raise ValueError(f"{what} must sum to 1, got {sum(values):g}")


class SizeMix(_Section):
    """Share of parcels by size (DOMAIN 1c: about 69% S, 23% M, 8% L)."""

    S: Share = 0.69
    M: Share = 0.23
    L: Share = 0.08

    @model_validator(mode="after")
    def _total(self) -> SizeMix:
        _sums_to_one((self.S, self.M, self.L), "size_mix")
        return self


class Channels(_Section):
    """Where parcels go (DOMAIN 1b: locker share default 30%, range 10-45%)."""

    locker: Share = 0.30
    pickup_point: Share = 0.50
    doorstep: Share = 0.20

    @model_validator(mode="after")
    def _total(self) -> Channels:
        _sums_to_one((self.locker, self.pickup_point, self.doorstep), "channels")
        return self


class Wave(_Section):
    """A courier delivery wave: parcels arrive uniformly in [start_hour, end_hour)."""

    start_hour: float = Field(ge=0, lt=24, allow_inf_nan=False)
    end_hour: float = Field(gt=0, le=24, allow_inf_nan=False)
    share: float = Field(gt=0, le=1, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Wave:
        if self.end_hour <= self.start_hour:
            raise ValueError("end_hour must be after start_hour")
        return self


class ParcelsConfig(_Section):
    """Parcel demand (DOMAIN 1a: 0.7 parcels per household per day; two courier waves)."""

    per_household_per_day: NonNegative = 0.7
    size_mix: SizeMix = SizeMix()
    channels: Channels = Channels()
    waves: tuple[Wave, ...] = Field(
        default=(
            Wave(start_hour=10, end_hour=12, share=0.55),
            Wave(start_hour=15, end_hour=17, share=0.45),
        ),
        min_length=1,
    )
    deposit_seconds: Distribution = Uniform(low=6, high=12)  # DOMAIN 1c

    @model_validator(mode="after")
    def _waves(self) -> ParcelsConfig:
        _sums_to_one(tuple(w.share for w in self.waves), "waves' shares")
        ordered = sorted(self.waves, key=lambda w: w.start_hour)
        for before, after in itertools.pairwise(ordered):
            if after.start_hour < before.end_hour:
                raise ValueError("waves must not overlap")
        return self


class Compartments(_Section):
    """Compartments of a bank by size (DOMAIN 1c: a 1+5 bank has 103 S, 35 M, 12 L)."""

    S: int = Field(default=0, ge=0)
    M: int = Field(default=0, ge=0)
    L: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _some(self) -> Compartments:
        if self.total < 1:
            raise ValueError("a bank needs at least one compartment")
        return self

    @property
    def total(self) -> int:
        return self.S + self.M + self.L

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.S, self.M, self.L)


class Bank(_Section):
    """A locker bank at a site node of the layout."""

    name: str = Field(min_length=1)
    site: str = Field(min_length=1)
    compartments: Compartments


class Fees(_Section):
    """Overdue storage fees (DOMAIN 1d, Hive Box v2: 18 h free, 0.5 CNY per 12 h, cap 3)."""

    free_hours: NonNegative = 18.0
    per_12h_cny: NonNegative = 0.5
    cap_cny: NonNegative = 3.0

    @property
    def active(self) -> bool:
        return self.per_12h_cny > 0 and self.cap_cny > 0


class LockersConfig(_Section):
    """Locker banks and the policy levers that govern them."""

    banks: tuple[Bank, ...] = Field(min_length=1)
    upsize: bool = Field(default=True, description="a parcel may take a larger compartment")
    spill_to_other_banks: bool = Field(
        default=False, description="try the other banks, nearest first, before overflowing"
    )
    overflow: Literal["pickup_point", "retry", "lost"] = "pickup_point"
    max_retries: int = Field(default=1, ge=1, description="re-offers under overflow: retry")
    max_hold_hours: float | None = Field(default=72.0, gt=0, allow_inf_nan=False)
    fees: Fees = Fees()

    @model_validator(mode="after")
    def _unique(self) -> LockersConfig:
        names = [bank.name for bank in self.banks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"bank names must be unique, repeated: {', '.join(duplicates)}")
        return self


class PickupConfig(_Section):
    """Residents' pickup behaviour (DOMAIN 1d)."""

    delay_hours: Distribution = Lognormal(median=8.0, sigma=1.0)
    forgotten_share: Share = 0.025
    fee_sensitivity_per_cny: float = Field(
        default=0.7133,
        ge=0,
        allow_inf_nan=False,
        description=(
            "how strongly residents react to the overdue fee: a resident who would pass "
            "the free window hurries to beat it with probability 1 - exp(-s x fee per 12 h)"
        ),
    )

    def hurry_probability(self, fee_per_12h_cny: float) -> float:
        """Share of would-be-overdue residents who collect before the free window ends.

        The default s = -ln(0.7) / 0.5 CNY reproduces DOMAIN 1d: at Hive Box's 0.5 CNY per
        12 h the survival beyond the free window is multiplied by 0.7. A dearer fee
        hurries more residents; no fee hurries nobody.
        """
        return 1.0 - math.exp(-self.fee_sensitivity_per_cny * fee_per_12h_cny)

    pickup_seconds: Distribution = Uniform(low=10, high=30)  # DOMAIN 1c
