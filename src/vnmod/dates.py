"""A post's date from the cell an export gives it, for the law in force on that day.

Exports write dates many ways: ISO 8601 (``2026-07-01``, ``2026-07-01T08:15:00+0700``,
``2026-07-01 08:15:00``), the Vietnamese day-first form (``01/07/2026``, ``1-7-2026``,
``01.07.2026``, with or without a time), or a Unix timestamp in seconds or milliseconds.
A slash date is read day first, as Vietnamese writes it: ``01/07/2026`` is 1 July.
A time with a UTC offset, and a Unix timestamp, give the calendar day in Vietnam (UTC+7),
where the laws take effect at midnight: ``2026-06-30T20:00:00Z`` is 1 July there. A time
without an offset is taken as Vietnam's own.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

VIETNAM = dt.timezone(dt.timedelta(hours=7))
_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T,]+.*)?")
_ISO_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")  # '+0700' -> '+07:00' (Python 3.10)
_EPOCH_RANGE = (1e8, 1e11)  # seconds from 1973 to 5138; larger numbers are milliseconds


def _from_epoch(value: float) -> dt.date | None:
    if not math.isfinite(value) or value <= 0:
        return None
    seconds = value / 1000 if value >= _EPOCH_RANGE[1] else value
    if not _EPOCH_RANGE[0] <= seconds < _EPOCH_RANGE[1]:
        return None
    return dt.datetime.fromtimestamp(seconds, VIETNAM).date()


def today() -> dt.date:
    """Today's date in Vietnam, where the laws take effect (not the machine's time zone)."""
    return dt.datetime.now(VIETNAM).date()


def _local_day(moment: dt.datetime) -> dt.date:
    return (moment.astimezone(VIETNAM) if moment.tzinfo is not None else moment).date()


def post_date(value: Any) -> dt.date | None:
    """The calendar day of a date cell, or None when it is empty or cannot be read.

    >>> post_date("01/07/2026"), post_date("2026-06-30T23:30:00+07:00")
    (datetime.date(2026, 7, 1), datetime.date(2026, 6, 30))
    >>> post_date("2026-06-30T20:00:00Z")  # 03:00 on 1 July in Vietnam
    datetime.date(2026, 7, 1)
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _local_day(value)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_epoch(float(value))  # NaN (a missing number): None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(?:\.\d+)?", text):
        return _from_epoch(float(text))
    m = _DAY_FIRST.fullmatch(text)
    if m:
        day, month, year = (int(g) for g in m.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    iso = text.replace("Z", "+00:00").replace(" ", "T", 1)
    iso = _ISO_OFFSET.sub(r"\1:\2", iso)
    try:
        return _local_day(dt.datetime.fromisoformat(iso))
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
