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
        self.walk = np.array([building_walks[b] for b in buildings], dtype=float)
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
        self.retry_queue: list[tuple[Any, ...]] = []
        self.dwell = world.tally("parcels.dwell_hours")
        self.walks = world.tally("residents.walk_minutes")
        self.counts = dict.fromkeys(
            [
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
            ],
            0,
        )
        self.fee_revenue = 0.0
        self.deposit_seconds = 0.0

    # -- arrivals -------------------------------------------------------------------
    def courier(self) -> Generator[simpy.Event, Any, None]:
        """Each day, each wave: re-offer held parcels, then deliver the wave's parcels."""
        calendar = self.world.calendar
        waves = sorted(self.spec.parcels.waves, key=lambda w: w.start_hour)
        day_start = 0.0
        while True:
            factor = calendar.multiplier(calendar.date_of(day_start))
            daily = self.household_count * self.spec.parcels.per_household_per_day * factor
            for wave in waves:
                start, end = day_start + wave.start_hour * HOUR, day_start + wave.end_hour * HOUR
                if start > self.env.now:
                    yield self.env.timeout(start - self.env.now)
                self._reoffer()
                rate = daily * wave.share / (end - start)
                times = piecewise_poisson(
                    self.world.streams("parcels.arrivals"), (start, end), (rate,)
                )
                batch = self._draw(len(times))
                for i, t in enumerate(times):
                    if t > self.env.now:
                        yield self.env.timeout(t - self.env.now)
                    self._arrive(batch, i)
            day_start += DAY

    def _draw(self, n: int) -> dict[str, np.ndarray]:
        stream = self.world.streams
        parcels, pickup = self.spec.parcels, self.spec.pickup
        mix = parcels.size_mix
        return {
            "household": stream("parcels.recipients").integers(0, self.household_count, n),
            "size": np.searchsorted(
                np.cumsum([mix.S, mix.M]), stream("parcels.sizes").random(n), side="right"
            ),
            "channel": stream("parcels.channels").random(n),
            "delay": pickup.delay_hours.sample(stream("residents.pickup_delay"), n) * HOUR,
            "service": pickup.pickup_seconds.sample(stream("residents.pickup_service"), n),
            "forgotten": stream("residents.forgetting").random(n) < pickup.forgotten_share,
            "fee_u": stream("residents.fee_response").random(n),
            "deposit": parcels.deposit_seconds.sample(stream("couriers.deposit"), n),
        }

    def _arrive(self, batch: dict[str, np.ndarray], i: int) -> None:
        counts = self.counts
        counts["arrived"] += 1
        channels = self.spec.parcels.channels
        u = batch["channel"][i]
        if u >= channels.locker:
            key = (
                "to_pickup_point" if u < channels.locker + channels.pickup_point else "to_doorstep"
            )
            counts[key] += 1
            return
        counts["to_locker"] += 1
        parcel = (
            int(batch["household"][i]),
            int(batch["size"][i]),
            float(batch["delay"][i]),
            float(batch["service"][i]),
            bool(batch["forgotten"][i]),
            float(batch["fee_u"][i]),
            float(batch["deposit"][i]),
            0,
        )
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
        self.counts["overflowed"] += 1
        self.counts["lost" if rule == "lost" else "overflow_to_pickup_point"] += 1

    def _reoffer(self) -> None:
        queue, self.retry_queue = self.retry_queue, []
        self.counts["retries"] += len(queue)
        for parcel in queue:
            self._offer(parcel)

    def _deposit(self, bank_index: int, slot: int, parcel: tuple[Any, ...]) -> None:
        household, _, delay, service, forgotten, fee_u, deposit, _ = parcel
        now = self.env.now
        bank = self.banks[bank_index]
        bank.free[slot] -= 1
        bank.occupancy.add(now, 1)
        self.total.add(now, 1)
        self.counts["deposited"] += 1
        self.deposit_seconds += deposit
        if forgotten:
            if math.isfinite(self.max_hold):
                self._schedule(self.max_hold, (bank_index, slot, _RELEASE_RETURNED, 0.0))
            return
        walk = float(self.walk[household, bank_index])
        hold = delay + walk + service
        if self.fees_active and hold > self.free_window and fee_u < self.spec.pickup.fee_response:
            # This resident hurries to beat the free window: done within its last hour.
            early = fee_u / self.spec.pickup.fee_response * min(HOUR, self.free_window)
            hold = max(self.free_window - early, walk + service)
        if hold > self.max_hold:
            self._schedule(self.max_hold, (bank_index, slot, _RELEASE_RETURNED, 0.0))
        else:
            self._schedule(hold, (bank_index, slot, _RELEASE_PICKED, walk))

    def _schedule(self, delay: float, record: tuple[int, int, bool, float]) -> None:
        self.env.timeout(delay, value=(self.env.now, *record)).callbacks.append(self._release)

    def _release(self, event: simpy.Event) -> None:
        deposited_at, bank_index, slot, picked, walk = event.value
        now = self.env.now
        bank = self.banks[bank_index]
        bank.free[slot] += 1
        bank.occupancy.add(now, -1)
        self.total.add(now, -1)
        if not picked:
            self.counts["returned"] += 1
            return
        self.counts["picked_up"] += 1
        dwell = now - deposited_at
        self.dwell.add(dwell / HOUR)
        self.walks.add(walk / 60)
        if self.fees_active and dwell > self.free_window:
            fees = self.spec.lockers.fees
            periods = math.ceil((dwell - self.free_window) / (12 * HOUR))
            self.fee_revenue += min(fees.cap_cny, periods * fees.per_12h_cny)
            self.counts["overdue"] += 1

    # -- results ----------------------------------------------------------------------
    def kpis(self) -> dict[str, float]:
        now = self.world.now
        c = self.counts
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
                "lockers.fee_revenue_cny": self.fee_revenue,
                "couriers.deposit_hours": self.deposit_seconds / HOUR,
                "residents.walk_minutes_mean": self.walks.mean(),
            }
        )
        return values


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan
