"""Behaviour of the parcel and locker subsystem, case by case, with derived expectations."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import scenarios
import twin

ERLANG = "erlang-loss-locker"


def run(sets: list[str], days: float = 3, seed: int = 1, warmup: float = 0.0) -> twin.Result:
    scenario = scenarios.load(ERLANG, sets=sets)
    return twin.simulate(
        scenarios.build_model(scenario),
        seed=seed,
        horizon=twin.days(days),
        warmup=twin.days(warmup),
    )


def test_waves_follow_the_clock_when_the_start_is_not_midnight() -> None:
    sets = [
        "calendar.start=2026-03-02T08:00:00",
        "parcels.waves=[{start_hour: 10, end_hour: 12, share: 1}]",
        "lockers.banks.0.compartments.S=100000",
    ]
    result = run(sets, days=1)
    occupied = result.series[result.series["series"] == "lockers.occupancy"]
    first = occupied[occupied["value"] > 0]["time"].min()
    assert first == pd.Timestamp("2026-03-02T10:00:00")


def test_a_start_inside_a_wave_delivers_the_rest_of_it() -> None:
    # Starting at 11:00 inside a 10-12 wave: half the wave's parcels on day one.
    sets = [
        "calendar.start=2026-03-02T11:00:00",
        "parcels.waves=[{start_hour: 10, end_hour: 12, share: 1}]",
        "parcels.per_household_per_day=40",  # 4,000 a day: a tight Poisson count
        "lockers.banks.0.compartments.S=100000",
    ]
    arrived = run(sets, days=12 / 24).kpis["parcels.arrived"]
    assert abs(arrived - 2000) < 4 * math.sqrt(2000)


def test_upsizing_lets_small_parcels_use_large_compartments() -> None:
    sets = ["lockers.banks.0.compartments={S: 0, L: 50}"]
    assert run([*sets, "lockers.upsize=true"]).kpis["lockers.overflow_rate"] < 0.01
    strict = run([*sets, "lockers.upsize=false"]).kpis
    assert strict["parcels.deposited"] == 0
    assert strict["parcels.overflowed"] == strict["parcels.to_locker"] > 0


def _offer_sequence(sizes: list[int], upsize: bool) -> list[list[int]]:
    """Offer parcels of the given sizes (0=S, 1=M, 2=L) to one bank; free counts after each."""
    sets = ["lockers.banks.0.compartments={S: 1, M: 1, L: 1}", f"lockers.upsize={upsize}"]
    scenario = scenarios.load(ERLANG, sets=sets)
    model = scenarios.build_model(scenario)
    world = twin.World(seed=1, calendar=model.calendar, horizon=twin.days(1))
    model.setup(world)
    state = world.state["parcels"]
    seen = []
    for size in sizes:
        state._offer((0, size, 3600.0, 0.0, False, 0.5, 0.0, 0))
        seen.append(list(state.banks[0].free))
    return seen


def test_smallest_fitting_compartment_is_taken_first() -> None:
    # Free counts [S, M, L] after each small parcel: S first, then M, then L, then none.
    assert _offer_sequence([0, 0, 0, 0], upsize=True) == [
        [0, 1, 1],
        [0, 0, 1],
        [0, 0, 0],
        [0, 0, 0],
    ]
    # A medium parcel never takes a small compartment.
    assert _offer_sequence([1, 1, 1], upsize=True) == [[1, 0, 1], [1, 0, 0], [1, 0, 0]]
    # Without upsizing each size only fits its own compartments.
    assert _offer_sequence([0, 0, 2], upsize=False) == [[0, 1, 1], [0, 1, 1], [0, 1, 0]]


def test_spilling_to_another_bank_reduces_overflow_with_the_same_parcels() -> None:
    two_banks = [
        "layout.sites=[{name: lobby, x: 0, y: 0}, {name: far, x: 300, y: 0}]",
        "lockers.banks=[{name: near, site: lobby, compartments: {S: 6}},"
        " {name: far, site: far, compartments: {S: 6}}]",
    ]
    alone = run([*two_banks, "lockers.spill_to_other_banks=false"]).kpis
    spill = run([*two_banks, "lockers.spill_to_other_banks=true"]).kpis
    assert alone["parcels.arrived"] == spill["parcels.arrived"]  # common random numbers
    assert spill["lockers.overflow_rate"] < alone["lockers.overflow_rate"]
    # The near bank is in the building's lobby; only spilled parcels mean a walk.
    assert alone["residents.walk_minutes_mean"] == 0
    assert spill["residents.walk_minutes_mean"] > 0


def test_parcels_past_the_maximum_hold_go_back() -> None:
    sets = [
        "pickup.delay_hours={kind: deterministic, value: 100}",
        "lockers.max_hold_hours=72",
        "lockers.banks.0.compartments.S=100000",
    ]
    k = run(sets, days=5).kpis
    assert k["parcels.picked_up"] == 0
    # Deposited in the first two days are back by day 5; the rest are still inside.
    assert k["parcels.returned"] > 0
    assert k["parcels.returned"] + k["parcels.in_locker_at_end"] == k["parcels.deposited"]
    assert math.isnan(k["parcels.dwell_hours_mean"])


def test_forgotten_parcels_are_returned_not_collected() -> None:
    sets = ["pickup.forgotten_share=1", "lockers.max_hold_hours=24"]
    sets.append("lockers.banks.0.compartments.S=100000")
    k = run(sets, days=3).kpis
    assert k["parcels.picked_up"] == 0
    assert k["parcels.returned"] > 0


def test_fees_charge_each_started_12_hours_past_the_free_window() -> None:
    base = [
        "pickup.delay_hours={kind: deterministic, value: 30}",
        "lockers.fees={free_hours: 18, per_12h_cny: 0.5, cap_cny: 3}",
        "lockers.banks.0.compartments.S=100000",
    ]
    k = run([*base, "pickup.fee_sensitivity_per_cny=0"], days=4).kpis
    # 30 h in the locker: 12 h past the free window, one started period of 0.5 CNY.
    assert k["parcels.picked_up"] > 0
    assert k["lockers.fee_revenue_cny"] == pytest.approx(0.5 * k["parcels.picked_up"])
    assert k["parcels.overdue_share"] == 1.0
    long_stay = [
        *base,
        "pickup.delay_hours={kind: deterministic, value: 200}",
        "lockers.max_hold_hours=null",
        "pickup.fee_sensitivity_per_cny=0",
    ]
    capped = run(long_stay, days=10).kpis
    assert capped["lockers.fee_revenue_cny"] == pytest.approx(3.0 * capped["parcels.picked_up"])


def test_residents_who_respond_to_fees_collect_within_the_free_window() -> None:
    sets = [
        "pickup.delay_hours={kind: deterministic, value: 30}",
        "lockers.fees={free_hours: 18, per_12h_cny: 0.5, cap_cny: 3}",
        "lockers.banks.0.compartments.S=100000",
        "pickup.fee_sensitivity_per_cny=1000",
    ]
    k = run(sets, days=4).kpis
    assert k["lockers.fee_revenue_cny"] == 0
    assert k["parcels.dwell_hours_p90"] <= 18


def test_weekday_multipliers_shape_demand() -> None:
    # Only Mondays have parcels: a Monday start, 7 days, the Monday's parcels only.
    only_monday = run(["calendar.weekday_multipliers=[1, 0, 0, 0, 0, 0, 0]"], days=7).kpis
    monday = run([], days=1).kpis
    assert only_monday["parcels.arrived"] == monday["parcels.arrived"]


def test_festival_multiplies_expected_demand() -> None:
    festival = "calendar.festivals=[{name: f, start: 2026-03-02, end: 2026-03-08, multiplier: 3}]"
    plain = run([], days=7).kpis["parcels.arrived"]
    busy = run([festival], days=7).kpis["parcels.arrived"]
    expected = 3 * 7 * 192  # 100 households x 1.92 a day
    assert abs(busy - expected) < 4 * math.sqrt(expected)
    assert abs(plain - expected / 3) < 4 * math.sqrt(expected / 3)


def test_retry_reoffers_at_the_next_wave() -> None:
    sets = ["lockers.overflow=retry", "lockers.max_retries=2"]
    k = run(sets, days=3).kpis
    assert k["parcels.retries"] > 0
    assert k["parcels.lost"] == 0
    lost = run(["lockers.overflow=lost"], days=3).kpis
    assert k["parcels.overflowed"] < lost["parcels.overflowed"]


def test_warmup_clears_statistics_exactly() -> None:
    # Common random numbers make this exact: counts over [1 d, 2 d] are the difference.
    whole = run([], days=2).kpis
    first = run([], days=1).kpis
    after = run([], days=2, warmup=1).kpis
    for name in ("parcels.arrived", "parcels.deposited", "parcels.lost"):
        assert after[name] == whole[name] - first[name]
    assert after["lockers.occupancy_peak"] <= whole["lockers.occupancy_peak"]


def test_a_dearer_fee_hurries_more_residents() -> None:
    base = ["pickup.delay_hours={kind: lognormal, median: 8, sigma: 1}"]
    base.append("lockers.banks.0.compartments.S=100000")
    late = []
    for fee in (0.0, 0.5, 2.0):
        k = run([*base, "pickup.fee_sensitivity_per_cny=0.7133", f"lockers.fees.per_12h_cny={fee}",
                 "lockers.fees.free_hours=18", "lockers.fees.cap_cny=3"], days=6).kpis  # fmt: skip
        late.append(k["parcels.overdue_share"])
    assert late[0] == 0  # no fee: nobody is overdue in the fee sense
    assert late[2] < late[1]
    # At 0.5 CNY the overdue share is 0.7 of the unhurried share (DOMAIN 1d), within noise.
    free = run([*base, "pickup.fee_sensitivity_per_cny=0", "lockers.fees.free_hours=18",
                "lockers.fees.per_12h_cny=0.5", "lockers.fees.cap_cny=3"], days=6).kpis  # fmt: skip
    assert late[1] == pytest.approx(0.7 * free["parcels.overdue_share"], rel=0.1)
