"""US Eastern time for the replica's naive local timestamps, without a tz database."""

from __future__ import annotations

from datetime import date, datetime, timedelta


def _nth_sunday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    first_sunday = first + timedelta(days=(6 - first.weekday()) % 7)
    return first_sunday + timedelta(weeks=nth - 1)


def _last_sunday(year: int, month: int) -> date:
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def dst_dates(year: int) -> tuple[date, date]:
    """The days summer time starts and ends (US rules of 1987-2006 and of 2007 on)."""
    if year >= 2007:
        return _nth_sunday(year, 3, 2), _nth_sunday(year, 11, 1)
    return _nth_sunday(year, 4, 1), _last_sunday(year, 10)


def is_summer_time(local: datetime) -> bool:
    start, end = dst_dates(local.year)
    begins = datetime(start.year, start.month, start.day, 2)
    ends = datetime(end.year, end.month, end.day, 1)
    return begins <= local < ends


def is_transition_day(day: date) -> bool:
    return day in dst_dates(day.year)


def utc_offset(local: datetime) -> str:
    return "-04:00" if is_summer_time(local) else "-05:00"


def zone_name(local: datetime) -> str:
    return "EDT" if is_summer_time(local) else "EST"


def iso(local: datetime) -> str:
    """ISO 8601 with the Eastern offset of that moment: 2010-12-02T19:55:55-05:00."""
    return local.strftime("%Y-%m-%dT%H:%M:%S") + utc_offset(local)


def unambiguous(local: datetime) -> datetime:
    """Moves a time off the small hours of a clock-change day, where local time is ambiguous."""
    if is_transition_day(local.date()) and local.hour < 4:
        return local + timedelta(hours=4)
    return local
