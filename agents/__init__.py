"""The community's agents and subsystems, built on the ``twin`` kernel only.

Extension mechanism: each subsystem is a module (or package) here that declares its
scenario sections (frozen pydantic models), its KPIs, and a ``twin.Subsystem`` class.
"""

from agents.parcels import ParcelLockers

__all__ = ["ParcelLockers"]
