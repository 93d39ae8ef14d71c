"""Parcels and smart parcel lockers (DOMAIN.md section 1)."""

from agents.parcels.config import (
    SIZES,
    Bank,
    Channels,
    Compartments,
    Fees,
    LockersConfig,
    ParcelsConfig,
    PickupConfig,
    SizeMix,
    Wave,
)
from agents.parcels.kpis import KPIS
from agents.parcels.system import Household, LockerBank, ParcelLockers

__all__ = [
    "KPIS",
    "SIZES",
    "Bank",
    "Channels",
    "Compartments",
    "Fees",
    "Household",
    "LockerBank",
    "LockersConfig",
    "ParcelLockers",
    "ParcelsConfig",
    "PickupConfig",
    "SizeMix",
    "Wave",
]
