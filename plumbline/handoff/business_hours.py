"""Business-hours arithmetic for SLA clocks: working hours, weekdays, time zone and holidays."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from plumbline.definitions.schema import SLA


def _windows(day: dt.date, sla: SLA, tz: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime] | None:
    if day.weekday() not in sla.working_hours.weekdays or day in sla.holidays:
        return None
    start = dt.datetime.combine(day, sla.working_hours.start, tzinfo=tz)
    end = dt.datetime.combine(day, sla.working_hours.end, tzinfo=tz)
    return start, end


def add_business_hours(start: dt.datetime, hours: float, sla: SLA) -> dt.datetime:
    """The moment `hours` of working time after `start` (which may fall outside working hours)."""
    tz = zoneinfo.ZoneInfo(sla.timezone)
    remaining = dt.timedelta(hours=hours)
    cursor = start.astimezone(tz)
    for _ in range(3660):  # ten years of days: a calendar with no working day at all is refused by the schema
        window = _windows(cursor.date(), sla, tz)
        if window is not None:
            begin, end = max(window[0], cursor), window[1]
            if begin < end:
                if begin + remaining <= end:
                    return (begin + remaining).astimezone(dt.UTC)
                remaining -= end - begin
        cursor = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    raise ValueError("No working time found in ten years: check the SLA calendar.")


def business_hours_between(a: dt.datetime, b: dt.datetime, sla: SLA) -> float:
    """Working hours elapsed from `a` to `b` (0 when b <= a)."""
    if b <= a:
        return 0.0
    tz = zoneinfo.ZoneInfo(sla.timezone)
    a, b = a.astimezone(tz), b.astimezone(tz)
    total = dt.timedelta()
    day = a.date()
    while day <= b.date():
        window = _windows(day, sla, tz)
        if window is not None:
            begin, end = max(window[0], a), min(window[1], b)
            if begin < end:
                total += end - begin
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600
