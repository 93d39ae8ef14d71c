"""Simulation time and the calendar.

SimPy time is seconds since the scenario start. The calendar maps it to datetimes and
carries the demand multipliers that depend on the date: weekday, public holidays and
festival periods (Double 11, 618). A day's multiplier is the product of all that apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DAY", "HOUR", "MINUTE", "Calendar", "Festival", "Holiday", "days", "hours"]

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

Multiplier = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def days(n: float) -> float:
    """``n`` days in simulation seconds."""
    return n * DAY


def hours(n: float) -> float:
    """``n`` hours in simulation seconds."""
    return n * HOUR


class Holiday(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    date: dt.date
    name: str = ""
    multiplier: Multiplier = 1.0


class Festival(BaseModel):
    """A shopping festival or other period with a demand multiplier, dates inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    start: dt.date
    end: dt.date
    multiplier: Multiplier

    @model_validator(mode="after")
    def _ordered(self) -> Festival:
        if self.end < self.start:
            raise ValueError("festival end is before its start")
        return self


class Calendar(BaseModel):
    """Start datetime and date-dependent multipliers (weekday list is Monday first)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    start: dt.datetime = dt.datetime(2026, 3, 2)
    weekday_multipliers: tuple[Multiplier, ...] = Field(
        default=(1.0,) * 7, min_length=7, max_length=7
    )
    holidays: tuple[Holiday, ...] = ()
    festivals: tuple[Festival, ...] = ()

    @model_validator(mode="after")
    def _naive_start(self) -> Calendar:
        if self.start.tzinfo is not None:
            raise ValueError("start must be a local time without a timezone")
        return self

    def to_datetime(self, t: float) -> dt.datetime:
        return self.start + dt.timedelta(seconds=t)

    def to_seconds(self, when: dt.datetime) -> float:
        return (when - self.start).total_seconds()

    def date_of(self, t: float) -> dt.date:
        return self.to_datetime(t).date()

    def hour_of_day(self, t: float) -> float:
        moment = self.to_datetime(t)
        return moment.hour + moment.minute / 60 + moment.second / 3600

    def hour_of_week(self, t: float) -> int:
        moment = self.to_datetime(t)
        return moment.weekday() * 24 + moment.hour

    def midnight_before(self, t: float) -> float:
        """Simulation time of the midnight that starts the day containing ``t``."""
        moment = self.to_datetime(t)
        midnight = dt.datetime.combine(moment.date(), dt.time())
        return self.to_seconds(midnight)

    def multiplier(self, date: dt.date) -> float:
        """Demand multiplier of a calendar day: weekday x holiday x festival."""
        factor = self.weekday_multipliers[date.weekday()]
        for holiday in self.holidays:
            if holiday.date == date:
                factor *= holiday.multiplier
        for festival in self.festivals:
            if festival.start <= date <= festival.end:
                factor *= festival.multiplier
        return factor
