"""Parcels, smart locker banks and residents' pickups.

The flow for each parcel: a courier wave brings it (non-stationary Poisson), it gets a
recipient household and a size, and a channel (locker, staffed pickup point, doorstep).
A locker parcel takes the smallest free compartment that fits in the recipient's
nearest bank (optionally other banks); if none is free it overflows by the policy rule.
The resident collects after a delay that reacts to the storage fee, walking from home
to the bank; forgotten or very late parcels go back to the courier at the maximum hold.

Why no process per parcel: parcels are high-volume, so each wave is one SimPy process
and each compartment release is a bare Timeout with a shared callback. All per-parcel
random attributes are drawn per wave in vectorised batches from named streams, so
changing a policy lever (locker share, fees) keeps every other draw paired (common
random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from agents.parcels.config import LockersConfig, ParcelsConfig, PickupConfig
from agents.parcels.kpis import KPIS
from twin import DAY, HOUR, Agent, Layout, World, piecewise_poisson

__all__ = ["Household", "LockerBank", "ParcelLockers"]

_RELEASE_PICKED = True
_RELEASE_RETURNED = False


class Household(Agent):  # type: ignore[misc]
    """A household: where it lives and how far it walks to each locker bank."""

    def __init__(self, world: World, building: str, bank_order: tuple[int, ...]) -> None:
        super().__init__(world)
        self.building = building
        self.bank_order = bank_order


class LockerBank(Agent):  # type: ignore[misc]
    """A bank of compartments at a site; ``free[size]`` counts free compartments."""

    def __init__(self, world: World, name: str, site: str, capacity: tuple[int, int, int]):
        super().__init__(world)
        self.name = name
        self.site = site
        self.capacity = capacity
        self.free = list(capacity)
        self.occupancy = world.level(f"lockers.occupancy.{name}")

    @property
    def occupied(self) -> int:
        return sum(self.capacity) - sum(self.free)


@dataclass(frozen=True)
class ParcelLockers:
    """The parcels-and-lockers subsystem (a ``twin.Subsystem``)."""

    layout: Layout
    parcels: ParcelsConfig
    lockers: LockersConfig
    pickup: PickupConfig
    kpis = KPIS

    def setup(self, world: World) -> None:
        run = _Run(self, world)
        world.env.process(run.courier())
        world.state["parcels"] = run

    def kpi_values(self, world: World) -> Mapping[str, float]:
        run: _Run = world.state["parcels"]
        return run.kpis()


class _Run:
    """Mutable state of one run of the subsystem."""

    def __init__(self, spec: ParcelLockers, world: World) -> None:
        self.spec = spec
        self.world = world
        self.env: simpy.Environment = world.env
        layout = spec.layout
        cfg = spec.lockers
        self.banks = [
            LockerBank(world, b.name, b.site, b.compartments.as_tuple()) for b in cfg.banks
        ]
        for bank in self.banks:
            if bank.site not in layout.graph:
                raise ValueError(f"bank {bank.name!r}: site {bank.site!r} is not in the layout")
        # Households: index -> building; walking seconds from each building to each bank.
        building_walks = {
            b: [layout.walk_seconds(b, bank.site) for bank in self.banks] for b in layout.buildings
        }
        buildings: list[str] = []
        for building in layout.buildings:
            buildings.extend([building] * layout.households(building))
        self.household_count = len(buildings)
        self.walk = [building_walks[b] for b in buildings]  # seconds, [household][bank]
        order_of = {
            b: tuple(sorted(range(len(self.banks)), key=lambda i, b=b: (building_walks[b][i], i)))
            for b in layout.buildings
        }
        self.households = [Household(world, b, order_of[b]) for b in buildings]
        self.bank_order = [
            h.bank_order if cfg.spill_to_other_banks else h.bank_order[:1] for h in self.households
        ]
        self.total = world.level("lockers.occupancy")
        self.capacity = sum(sum(b.capacity) for b in self.banks)
        self.sizes_to_try = [(0, 1, 2), (1, 2), (2,)] if cfg.upsize else [(0,), (1,), (2,)]
        self.max_hold = math.inf if cfg.max_hold_hours is None else cfg.max_hold_hours * HOUR
        fees = cfg.fees
        self.fees_active = fees.active and math.isfinite(fees.free_hours)
        self.free_window = fees.free_hours * HOUR
        self.hurry = spec.pickup.hurry_probability(fees.per_12h_cny) if self.fees_active else 0.0
        # Channel by one uniform: [0, locker) lockers, then pickup point, then doorstep.
        channels = spec.parcels.channels
        self.locker_cut = channels.locker
        self.pickup_point_cut = channels.locker + channels.pickup_point
        self.retry_queue: list[tuple[Any, ...]] = []
        self.dwell = world.tally("parcels.dwell_hours")
        # Counters live in the world so that a warm-up clears them with every other probe.
        self.counts = {
            name: world.counter(f"parcels.{name}")
            for name in (
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
                "overdue",
            )
        }
        self.fee_revenue = world.counter("lockers.fee_revenue_cny")
        self.deposit_seconds = world.counter("couriers.deposit_seconds")
        self.walk_seconds = world.counter("residents.walk_seconds")

    # -- arrivals -------------------------------------------------------------------
    def courier(self) -> Generator[simpy.Event, Any, None]:
        """Each day, each wave: re-offer held parcels, then deliver the wave's parcels.

        Wave hours are clock hours: the first day starts at the midnight before the
        scenario start, and a wave already under way at the start is delivered from then.
        """
        calendar = self.world.calendar
        waves = sorted(self.spec.parcels.waves, key=lambda w: w.start_hour)
        day_start = calendar.midnight_before(0.0)
        while True:
            factor = calendar.multiplier(calendar.date_of(day_start))
            daily = self.household_count * self.spec.parcels.per_household_per_day * factor
            for wave in waves:
                start, end = day_start + wave.start_hour * HOUR, day_start + wave.end_hour * HOUR
                if end <= self.env.now:
                    continue
                rate = daily * wave.share / (end - start)
                start = max(start, self.env.now)
                if start > self.env.now:
                    yield self.env.timeout(start - self.env.now)
                self._reoffer()
                times = piecewise_poisson(
                    self.world.streams("parcels.arrivals"), (start, end), (rate,)
                )
                channels, parcels = self._draw(len(times))
                for t, u, parcel in zip(times.tolist(), channels, parcels, strict=True):
                    if t > self.env.now:
                        yield self.env.timeout(t - self.env.now)
                    self._arrive(u, parcel)
            day_start += DAY

    def _draw(self, n: int) -> tuple[list[float], list[tuple[Any, ...]]]:
        """Channel uniforms and parcel tuples for ``n`` arrivals, drawn as vectors.

        A parcel is (household, size, delay s, pickup service s, forgotten, fee uniform,
        deposit s, tries). Plain Python tuples: cheaper per parcel than numpy scalars.
        """
        stream = self.world.streams
        parcels, pickup = self.spec.parcels, self.spec.pickup
        mix = parcels.size_mix
        sizes = np.searchsorted(
            np.cumsum([mix.S, mix.M]), stream("parcels.sizes").random(n), side="right"
        )
        columns = (
            stream("parcels.recipients").integers(0, self.household_count, n).tolist(),
            sizes.tolist(),
            (pickup.delay_hours.sample(stream("residents.pickup_delay"), n) * HOUR).tolist(),
            pickup.pickup_seconds.sample(stream("residents.pickup_service"), n).tolist(),
            (stream("residents.forgetting").random(n) < pickup.forgotten_share).tolist(),
            stream("residents.fee_response").random(n).tolist(),
            parcels.deposit_seconds.sample(stream("couriers.deposit"), n).tolist(),
            [0] * n,
        )
        return stream("parcels.channels").random(n).tolist(), list(zip(*columns, strict=True))

    def _arrive(self, u: float, parcel: tuple[Any, ...]) -> None:
        counts = self.counts
        counts["arrived"].value += 1
        if u >= self.locker_cut:
            pickup_point = u < self.pickup_point_cut
            counts["to_pickup_point" if pickup_point else "to_doorstep"].value += 1
            return
        counts["to_locker"].value += 1
        self._offer(parcel)

    # -- lockers ----------------------------------------------------------------------
    def _offer(self, parcel: tuple[Any, ...]) -> None:
        household, size = parcel[0], parcel[1]
        for bank_index in self.bank_order[household]:
            bank = self.banks[bank_index]
            for slot in self.sizes_to_try[size]:
                if bank.free[slot]:
                    self._deposit(bank_index, slot, parcel)
                    return
        self._overflow(parcel)

    def _overflow(self, parcel: tuple[Any, ...]) -> None:
        rule = self.spec.lockers.overflow
        tries = parcel[7]
        if rule == "retry" and tries < self.spec.lockers.max_retries:
            self.retry_queue.append((*parcel[:7], tries + 1))
            return
        self.counts["overflowed"].value += 1
        self.counts["lost" if rule == "lost" else "overflow_to_pickup_point"].value += 1

    def _reoffer(self) -> None:
        queue, self.retry_queue = self.retry_queue, []
        self.counts["retries"].value += len(queue)
        for parcel in queue:
            self._offer(parcel)

    def _deposit(self, bank_index: int, slot: int, parcel: tuple[Any, ...]) -> None:
        household, _, delay, service, forgotten, fee_u, deposit, _ = parcel
        now = self.env.now
        bank = self.banks[bank_index]
        bank.free[slot] -= 1
        bank.occupancy.add(now, 1)
        self.total.add(now, 1)
        self.counts["deposited"].value += 1
        self.deposit_seconds.value += deposit
        if forgotten:
            if math.isfinite(self.max_hold):
                self._schedule(self.max_hold, (bank_index, slot, _RELEASE_RETURNED, 0.0))
            return
        walk = self.walk[household][bank_index]
        hold = delay + walk + service
        if hold > self.free_window and fee_u < self.hurry:
            # This resident hurries to beat the free window: done within its last hour.
            early = fee_u / self.hurry * min(HOUR, self.free_window)
            hold = max(self.free_window - early, walk + service)
        if hold > self.max_hold:
            self._schedule(self.max_hold, (bank_index, slot, _RELEASE_RETURNED, 0.0))
        else:
            self._schedule(hold, (bank_index, slot, _RELEASE_PICKED, walk))

    def _schedule(self, hold: float, record: tuple[int, int, bool, float]) -> None:
        # The hold travels with the event: recomputing it as (release - deposit) time
        # would add rounding error right at fee boundaries.
        self.env.timeout(hold, value=(hold, *record)).callbacks.append(self._release)

    def _release(self, event: simpy.Event) -> None:
        dwell, bank_index, slot, picked, walk = event.value
        now = self.env.now
        bank = self.banks[bank_index]
        bank.free[slot] += 1
        bank.occupancy.add(now, -1)
        self.total.add(now, -1)
        if not picked:
            self.counts["returned"].value += 1
            return
        self.counts["picked_up"].value += 1
        self.dwell.add(dwell / HOUR)
        self.walk_seconds.value += walk
        if self.fees_active and dwell > self.free_window:
            fees = self.spec.lockers.fees
            periods = math.ceil((dwell - self.free_window) / (12 * HOUR))
            self.fee_revenue.value += min(fees.cap_cny, periods * fees.per_12h_cny)
            self.counts["overdue"].value += 1

    # -- results ----------------------------------------------------------------------
    def kpis(self) -> dict[str, float]:
        now = self.world.now
        c = {name: counter.value for name, counter in self.counts.items()}
        in_locker = sum(bank.occupied for bank in self.banks)
        occupancy_mean = self.total.mean(now)
        values = {f"parcels.{k}": float(v) for k, v in c.items() if k != "overdue"}
        values.update(
            {
                "parcels.awaiting_retry_at_end": float(len(self.retry_queue)),
                "parcels.in_locker_at_end": float(in_locker),
                "lockers.overflow_rate": _ratio(c["overflowed"], c["to_locker"]),
                "lockers.capacity": float(self.capacity),
                "lockers.occupancy_mean": occupancy_mean,
                "lockers.occupancy_peak": float(self.total.peak),
                "lockers.utilization": occupancy_mean / self.capacity,
                "parcels.dwell_hours_mean": self.dwell.mean(),
                "parcels.dwell_hours_p50": self.dwell.quantile(0.5),
                "parcels.dwell_hours_p90": self.dwell.quantile(0.9),
                "parcels.overdue_share": _ratio(c["overdue"], c["picked_up"]),
                "lockers.fee_revenue_cny": self.fee_revenue.value,
                "couriers.deposit_hours": self.deposit_seconds.value / HOUR,
                "residents.walk_minutes_mean": _ratio(self.walk_seconds.value / 60, c["picked_up"]),
            }
        )
        return values


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan
