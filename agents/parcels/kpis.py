"""The parcel and locker KPIs: the one place their names and units are declared."""

from __future__ import annotations

from twin import KPI

__all__ = ["KPIS"]

KPIS: tuple[KPI, ...] = (
    KPI("parcels.arrived", "parcels", "parcels delivered to the compound"),
    KPI("parcels.to_locker", "parcels", "parcels routed to the smart lockers (offered)"),
    KPI("parcels.to_pickup_point", "parcels", "parcels routed straight to the pickup point"),
    KPI("parcels.to_doorstep", "parcels", "parcels carried to the door"),
    KPI("parcels.deposited", "parcels", "locker parcels that got a compartment", "higher"),
    KPI("parcels.overflowed", "parcels", "locker parcels that never got a compartment", "lower"),
    KPI(
        "parcels.overflow_to_pickup_point", "parcels", "overflowed parcels taken to pickup", "lower"
    ),
    KPI("parcels.lost", "parcels", "overflowed parcels lost (pure loss rule)", "lower"),
    KPI("parcels.retries", "offers", "re-offers of parcels held back by the courier", "lower"),
    KPI("parcels.awaiting_retry_at_end", "parcels", "parcels held by couriers at the end", "lower"),
    KPI("parcels.picked_up", "parcels", "locker parcels collected by residents", "higher"),
    KPI("parcels.returned", "parcels", "locker parcels returned after the maximum hold", "lower"),
    KPI("parcels.in_locker_at_end", "parcels", "parcels still in a compartment at the end"),
    KPI("lockers.overflow_rate", "fraction", "overflowed / offered to lockers", "lower"),
    KPI("lockers.capacity", "compartments", "compartments in all banks"),
    KPI("lockers.occupancy_mean", "compartments", "time-average occupied compartments"),
    KPI("lockers.occupancy_peak", "compartments", "most compartments occupied at once"),
    KPI("lockers.utilization", "fraction", "occupancy_mean / capacity"),
    KPI("parcels.dwell_hours_mean", "h", "deposit to pickup, collected parcels", "lower"),
    KPI("parcels.dwell_hours_p50", "h", "median deposit-to-pickup time", "lower"),
    KPI("parcels.dwell_hours_p90", "h", "90th percentile deposit-to-pickup time", "lower"),
    KPI("parcels.overdue_share", "fraction", "collected parcels that paid a storage fee", "lower"),
    KPI("lockers.fee_revenue_cny", "CNY", "overdue storage fees paid"),
    KPI("couriers.deposit_hours", "h", "courier time spent depositing into lockers", "lower"),
    KPI("residents.walk_minutes_mean", "min", "one-way walk from home to the locker bank", "lower"),
)
