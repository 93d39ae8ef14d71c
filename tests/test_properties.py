"""Hypothesis properties of the parcel-and-locker model on random small scenarios.

Scenarios are built the way a planner builds them: a built-in (``default`` or
``erlang-loss-locker``) plus ``--set`` overlays through ``scenarios.load``, with drawn
compartment counts (some sizes zero), channel shares, overflow rule, retries, maximum
hold, fees, upsizing, spilling to other banks, forgetting, a small layout, a calendar
start (midnight or not), a few days and a seed.

How capacity is observed: a probe subsystem is composed *after* the parcel subsystem
into the same ``twin.CompositeModel``, and ``twin.simulate`` runs it unchanged. In its
``setup`` the probe replaces each bank's ``free`` list with a list subclass whose
``__setitem__`` checks ``0 <= free[size] <= capacity[size]`` and that every change is a
single take or release. The model changes a compartment count only through
``bank.free[slot] -= 1`` / ``+= 1``, which calls ``__setitem__``, so every deposit and
every release is seen at the instant it happens (a sampling SimPy process would miss
a full-then-freed compartment between two samples, or several events at one time).
That nothing bypasses the guard is checked too: the guard's count of takes must equal
``parcels.deposited`` and its count of releases ``picked_up + returned``, and the
largest total it saw must equal the model's own ``lockers.occupancy_peak``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scenarios
import twin

# Sites of each base scenario (banks must stand on one of them).
BASE_SITES = {
    "default": ("lockers-south", "lockers-centre", "lockers-north"),
    "erlang-loss-locker": ("lobby",),
}
SIZES = ("S", "M", "L")


def _budget(n: int) -> int:
    """At most ``n`` examples, fewer if the loaded Hypothesis profile asks for fewer."""
    return min(n, settings().max_examples)


@dataclass(frozen=True)
class Case:
    base: str
    seed: int
    days: float
    banks: tuple[tuple[str, str, tuple[int, int, int]], ...]  # name, site, (S, M, L)
    channels: tuple[float, float, float]
    size_mix: tuple[float, float, float]
    rate: float
    overflow: str
    max_retries: int
    max_hold_hours: float | None
    fees: tuple[float, float, float]  # free_hours, per_12h_cny, cap_cny
    upsize: bool
    spill: bool
    forgotten_share: float
    fee_sensitivity: float
    grid: tuple[int, int, int, int]  # rows, per_row, spacing_m, households
    start: str = "2026-03-02T00:00:00"  # calendar start; off midnight, waves may be under way

    @property
    def fees_active(self) -> bool:
        return self.fees[1] > 0 and self.fees[2] > 0

    def sets(self) -> list[str]:
        rows, per_row, spacing, households = self.grid
        free_hours, per_12h, cap = self.fees
        values: dict[str, Any] = {
            "days": self.days,
            "calendar.start": self.start,
            "layout.buildings": {
                "rows": rows,
                "per_row": per_row,
                "spacing_m": spacing,
                "households": households,
            },
            "lockers.banks": [
                {"name": name, "site": site, "compartments": dict(zip(SIZES, counts, strict=True))}
                for name, site, counts in self.banks
            ],
            "lockers.upsize": self.upsize,
            "lockers.spill_to_other_banks": self.spill,
            "lockers.overflow": self.overflow,
            "lockers.max_retries": self.max_retries,
            "lockers.max_hold_hours": self.max_hold_hours,
            "lockers.fees": {"free_hours": free_hours, "per_12h_cny": per_12h, "cap_cny": cap},
            "parcels.per_household_per_day": self.rate,
            "parcels.channels": dict(
                zip(("locker", "pickup_point", "doorstep"), self.channels, strict=True)
            ),
            "parcels.size_mix": dict(zip(SIZES, self.size_mix, strict=True)),
            "pickup.forgotten_share": self.forgotten_share,
            "pickup.fee_sensitivity_per_cny": self.fee_sensitivity,
        }
        # JSON is valid YAML flow syntax; the drawn numbers never use exponent notation.
        return [f"{path}={json.dumps(value)}" for path, value in values.items()]


def _shares(draw: st.DrawFn) -> tuple[float, float, float]:
    """Three shares in hundredths that sum to one."""
    first = draw(st.integers(0, 100))
    second = draw(st.integers(0, 100 - first))
    return (first / 100, second / 100, (100 - first - second) / 100)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    base = draw(st.sampled_from(sorted(BASE_SITES)))
    n_banks = draw(st.integers(1, 3))
    counts = st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)).filter(
        lambda c: sum(c) >= 1
    )
    banks = tuple(
        (f"bank{i}", draw(st.sampled_from(BASE_SITES[base])), draw(counts)) for i in range(n_banks)
    )
    return Case(
        base=base,
        seed=draw(st.integers(0, 2**32)),
        days=draw(st.sampled_from([0.5, 1, 1.3, 1.75, 2, 3])),
        banks=banks,
        channels=_shares(draw),
        size_mix=_shares(draw),
        rate=draw(st.sampled_from([0.3, 1, 3, 8])),
        overflow=draw(st.sampled_from(["pickup_point", "retry", "lost"])),
        max_retries=draw(st.integers(1, 3)),
        max_hold_hours=draw(st.one_of(st.none(), st.sampled_from([1, 5.5, 12, 24, 72]))),
        fees=(
            draw(st.sampled_from([0, 0.5, 4, 18])),
            draw(st.sampled_from([0, 0.5, 1.5])),
            draw(st.sampled_from([0, 0.5, 3, 10])),
        ),
        upsize=draw(st.booleans()),
        spill=draw(st.booleans()),
        forgotten_share=draw(st.integers(0, 30)) / 100,
        fee_sensitivity=draw(st.sampled_from([0, 0.2, 0.7133, 3.0])),
        grid=(
            draw(st.integers(1, 3)),
            draw(st.integers(1, 3)),
            draw(st.integers(5, 60)),
            draw(st.integers(1, 12)),
        ),
        start=draw(
            st.sampled_from(
                [
                    "2026-03-02T00:00:00",
                    "2026-03-02T08:30:00",
                    "2026-03-04T11:00:00",
                    "2026-03-07T23:15:00",
                ]
            )
        ),
    )


# -- the capacity guard --------------------------------------------------------------------


@dataclass
class Observations:
    violations: list[str] = field(default_factory=list)
    takes: int = 0
    releases: int = 0
    peak_total: int = 0
    peak_by_bank: dict[str, int] = field(default_factory=dict)


class GuardedFree(list):
    """A bank's free-compartment counts that report every change to the probe."""

    def __init__(self, values: list[int], bank: Any, probe: CapacityProbe) -> None:
        super().__init__(values)
        self.bank = bank
        self.probe = probe

    def __setitem__(self, index: Any, value: Any) -> None:
        if not isinstance(index, int):
            self.probe.seen.violations.append(f"bulk assignment {index!r} on {self.bank.name}")
            super().__setitem__(index, value)
            return
        old = self[index]
        super().__setitem__(index, value)
        self.probe.observe(self.bank, index, old, value)


class CapacityProbe:
    """A subsystem with no KPIs that watches the parcel subsystem's compartments."""

    kpis: tuple[twin.KPI, ...] = ()

    def __init__(self) -> None:
        self.seen = Observations()
        self.world: twin.World | None = None
        self.banks: list[Any] = []

    def setup(self, world: twin.World) -> None:
        self.world = world
        self.banks = list(world.state["parcels"].banks)
        for bank in self.banks:
            assert list(bank.free) == list(bank.capacity)
            bank.free = GuardedFree(list(bank.free), bank, self)
            self.seen.peak_by_bank[bank.name] = 0

    def observe(self, bank: Any, slot: int, old: int, new: int) -> None:
        seen = self.seen
        capacity = bank.capacity[slot]
        if not 0 <= new <= capacity:
            seen.violations.append(
                f"t={self.world.now if self.world else '?'}: bank {bank.name} size "
                f"{SIZES[slot]} free={new} outside [0, {capacity}]"
            )
        if new == old - 1:
            seen.takes += 1
        elif new == old + 1:
            seen.releases += 1
        else:
            seen.violations.append(f"bank {bank.name}: free[{slot}] jumped {old} -> {new}")
        occupied = sum(bank.capacity) - sum(bank.free)
        seen.peak_by_bank[bank.name] = max(seen.peak_by_bank[bank.name], occupied)
        total = sum(sum(b.capacity) - sum(b.free) for b in self.banks)
        seen.peak_total = max(seen.peak_total, total)

    def kpi_values(self, world: twin.World) -> dict[str, float]:
        return {}


@dataclass
class Run:
    case: Case
    scenario: scenarios.Scenario
    result: twin.Result
    probe: CapacityProbe

    @property
    def kpis(self) -> dict[str, float]:
        return dict(self.result.kpis)

    def count(self, name: str) -> int:
        value = self.result.kpis[f"parcels.{name}"]
        assert value == int(value) and value >= 0, (name, value)
        return int(value)


def run_case(case: Case) -> Run:
    scenario = scenarios.load(case.base, sets=case.sets())
    # The overlays really took effect (a silently ignored --set would void the property).
    lockers = scenario.lockers
    assert lockers.overflow == case.overflow
    assert lockers.max_hold_hours == case.max_hold_hours
    assert lockers.upsize is case.upsize and lockers.spill_to_other_banks is case.spill
    assert [b.compartments.as_tuple() for b in lockers.banks] == [b[2] for b in case.banks]
    assert scenario.days == case.days
    assert scenario.calendar.start.isoformat() == case.start
    model = scenarios.build_model(scenario)
    probe = CapacityProbe()
    watched = twin.CompositeModel(
        name=model.name,
        calendar=model.calendar,
        default_horizon=model.default_horizon,
        subsystems=(*model.subsystems, probe),
    )
    result = twin.simulate(watched, seed=case.seed)
    return Run(case, scenario, result, probe)


# -- properties ----------------------------------------------------------------------------


@settings(max_examples=_budget(60), deadline=None)
@given(cases())
def test_every_parcel_is_accounted_for(case: Case) -> None:
    run = run_case(case)
    c = run.count
    assert c("arrived") == c("to_locker") + c("to_pickup_point") + c("to_doorstep")
    assert c("to_locker") == c("deposited") + c("overflowed") + c("awaiting_retry_at_end")
    assert c("deposited") == c("picked_up") + c("returned") + c("in_locker_at_end")
    assert c("overflowed") == c("overflow_to_pickup_point") + c("lost")
    if case.overflow != "lost":
        assert c("lost") == 0
    else:
        assert c("overflow_to_pickup_point") == 0
    if case.overflow != "retry":
        assert c("retries") == 0
        assert c("awaiting_retry_at_end") == 0
    else:
        # Each locker parcel is re-offered at most max_retries times.
        assert c("retries") <= case.max_retries * c("to_locker")
        assert c("overflowed") <= c("to_locker")
    if case.max_hold_hours is None:
        assert c("returned") == 0
    if c("to_locker"):
        assert run.kpis["lockers.overflow_rate"] == c("overflowed") / c("to_locker")
    else:
        assert math.isnan(run.kpis["lockers.overflow_rate"])
    if case.channels[0] == 0:
        assert c("to_locker") == 0
    if case.channels == (1.0, 0.0, 0.0):
        assert c("to_locker") == c("arrived")


@settings(max_examples=_budget(60), deadline=None)
@given(cases())
def test_no_compartment_is_ever_over_capacity(case: Case) -> None:
    run = run_case(case)
    seen = run.probe.seen
    assert seen.violations == []
    # The guard saw every deposit and every release: nothing bypassed it.
    assert seen.takes == run.count("deposited")
    assert seen.releases == run.count("picked_up") + run.count("returned")
    capacity = sum(sum(counts) for _, _, counts in case.banks)
    kpis = run.kpis
    assert kpis["lockers.capacity"] == capacity
    assert kpis["lockers.occupancy_peak"] <= capacity
    assert kpis["lockers.occupancy_peak"] == seen.peak_total
    assert run.count("in_locker_at_end") == sum(b.occupied for b in run.probe.banks)
    assert 0 <= kpis["lockers.occupancy_mean"] <= kpis["lockers.occupancy_peak"]
    # Per bank: its own level's peak and hourly means stay within that bank's capacity.
    series = run.result.series
    assert not series.empty
    for bank in run.probe.banks:
        bank_capacity = sum(bank.capacity)
        assert bank.occupancy.peak == seen.peak_by_bank[bank.name] <= bank_capacity
        assert bank.occupancy.value == bank.occupied
        values = series.loc[series["series"] == f"lockers.occupancy.{bank.name}", "value"]
        assert len(values) == math.ceil(case.days * 24)
        assert values.between(-1e-9, bank_capacity + 1e-9).all(), bank.name
    total = series.loc[series["series"] == "lockers.occupancy", "value"]
    assert total.between(-1e-9, capacity + 1e-9).all()
    # The hourly means, weighted by the length of each hour bucket (the last may be
    # partial), average back to the run's time-average occupancy.
    hours = case.days * 24
    weights = np.ones(len(total))
    weights[-1] = hours - (len(total) - 1)
    weighted = float(np.sum(weights * total.to_numpy()) / hours)
    assert weighted == pytest.approx(kpis["lockers.occupancy_mean"], rel=1e-9, abs=1e-9)


@settings(max_examples=_budget(60), deadline=None)
@given(cases())
def test_dwell_fees_and_utilization_are_consistent(case: Case) -> None:
    run = run_case(case)
    kpis = run.kpis
    picked = run.count("picked_up")
    assert run.probe.world is not None
    dwell = run.probe.world.tallies["parcels.dwell_hours"]
    assert dwell.count == picked
    if picked:
        assert dwell.min >= 0
        assert dwell.min <= kpis["parcels.dwell_hours_p50"] <= kpis["parcels.dwell_hours_p90"]
        assert kpis["parcels.dwell_hours_p90"] <= dwell.max
        assert dwell.min <= kpis["parcels.dwell_hours_mean"] <= dwell.max
        if case.max_hold_hours is not None:
            # A parcel not collected within the maximum hold goes back to the courier.
            assert dwell.max <= case.max_hold_hours + 1e-9
        assert kpis["residents.walk_minutes_mean"] >= 0
    else:
        assert math.isnan(kpis["parcels.dwell_hours_p50"])
        assert math.isnan(kpis["parcels.overdue_share"])
    free_hours, per_12h, cap = case.fees
    revenue = kpis["lockers.fee_revenue_cny"]
    overdue = round(kpis["parcels.overdue_share"] * picked) if picked else 0
    assert 0 <= revenue <= cap * overdue + 1e-9
    if case.fees_active:
        # Every overdue parcel pays at least one period (or the cap, if lower).
        assert revenue >= min(cap, per_12h) * overdue - 1e-9
        if picked:
            late = int(np.sum(dwell.points()[0] > free_hours))
            assert overdue == late
    else:
        assert revenue == 0 and overdue == 0
    utilization = kpis["lockers.utilization"]
    assert 0 <= utilization <= 1
    assert utilization == kpis["lockers.occupancy_mean"] / kpis["lockers.capacity"]
    assert kpis["couriers.deposit_hours"] >= 0


FLOWS = (
    "arrived",
    "to_locker",
    "to_pickup_point",
    "to_doorstep",
    "deposited",
    "overflowed",
    "overflow_to_pickup_point",
    "lost",
    "retries",
    "picked_up",
    "returned",
)


@settings(max_examples=_budget(30), deadline=None)
@given(cases(), st.sampled_from([0.25, 0.5, 0.8]))
def test_warm_up_clears_exactly_what_came_before(case: Case, fraction: float) -> None:
    model = scenarios.build_model(scenarios.load(case.base, sets=case.sets()))
    horizon = model.default_horizon
    warmup = fraction * horizon
    full = twin.simulate(model, seed=case.seed).kpis
    before = twin.simulate(model, seed=case.seed, horizon=warmup).kpis
    after = twin.simulate(model, seed=case.seed, warmup=warmup).kpis
    # Flows after the warm-up are the whole run's flows less those before it.
    for name in FLOWS:
        key = f"parcels.{name}"
        assert after[key] == full[key] - before[key], key
    for key in ("lockers.fee_revenue_cny", "couriers.deposit_hours"):
        assert after[key] == pytest.approx(full[key] - before[key], rel=1e-9, abs=1e-9), key
    # Stocks at the end do not depend on the warm-up.
    for key in ("parcels.in_locker_at_end", "parcels.awaiting_retry_at_end", "lockers.capacity"):
        assert after[key] == full[key], key
    # Balances with the stocks held at the end of the warm-up.
    assert after["parcels.to_locker"] + before["parcels.awaiting_retry_at_end"] == (
        after["parcels.deposited"]
        + after["parcels.overflowed"]
        + after["parcels.awaiting_retry_at_end"]
    )
    assert after["parcels.deposited"] + before["parcels.in_locker_at_end"] == (
        after["parcels.picked_up"] + after["parcels.returned"] + after["parcels.in_locker_at_end"]
    )
    # The time average covers [warm-up, horizon] only.
    expected_mean = (
        full["lockers.occupancy_mean"] * horizon - before["lockers.occupancy_mean"] * warmup
    ) / (horizon - warmup)
    assert after["lockers.occupancy_mean"] == pytest.approx(expected_mean, rel=1e-9, abs=1e-9)
    assert (
        after["lockers.occupancy_peak"]
        <= full["lockers.occupancy_peak"]
        <= full["lockers.capacity"]
    )
    assert after["lockers.occupancy_peak"] >= after["parcels.in_locker_at_end"]
