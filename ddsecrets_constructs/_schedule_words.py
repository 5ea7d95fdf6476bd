"""A rotation schedule as a person would say it: "monthly on the 15th, 02:00-04:00 UTC".

Covers the schedules people write (one hour a day; days of the month; days of the week, ``L``,
``#``; ``rate()``); anything else is described by its expression alone, never guessed. The window
without a Duration is the Secrets Manager default (see ``_schedule``): one hour for a schedule
that rotates several times a day or in hours, otherwise until the end of the UTC day.
"""

from __future__ import annotations

import re
from typing import Optional

_WEEK = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]  # cron: 1 is Sunday
_DAYS = dict(zip("1234567", _WEEK, strict=True))
_DAY_NAMES = {name[:3].upper(): name for name in _DAYS.values()}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip
_ORDINAL_WORDS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth"}
_RATE = re.compile(r"rate\((\d+) (hour|hours|day|days)\)")


def describe_schedule(expression: str, window_hours: Optional[int]) -> Optional[str]:
    """Words for a literal ``rate()``/``cron()`` expression, or None when it is not one this knows."""
    rate = _RATE.fullmatch(expression)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        every = f"every {unit}" if count == 1 else f"every {count} {unit}s"
        if unit == "hour":
            return f"{every}, each window {window_hours or 1}h"
        return f"{every}, {_span(0, window_hours or 24)}"
    if not (expression.startswith("cron(") and expression.endswith(")")):
        return None
    fields = expression[len("cron(") : -1].split()
    if len(fields) != 6 or fields[0] != "0" or fields[5] != "*" or not fields[1].isdigit():
        return None
    hour = int(fields[1])
    if hour > 23:
        return None
    days = _days(fields[2], fields[3], fields[4])
    if days is None:
        return None
    return f"{days}, {_span(hour, hour + (window_hours or 24 - hour))}"


def _days(day: str, month: str, week_day: str) -> Optional[str]:
    months = _months(month)
    if months is None:
        return None
    if day == "*" and week_day == "?":
        return "daily" if months == "" else f"every day{months}"
    if day != "?" and week_day == "?":
        if day == "L":
            where = "on the last day"
        elif re.fullmatch(r"\d{1,2}(,\d{1,2})*", day) and all(1 <= int(d) <= 31 for d in day.split(",")):
            where = "on the " + _and([_ordinal(int(d)) for d in day.split(",")])
        else:
            return None
        return f"monthly {where}" if months == "" else f"{where}{months}"
    if day == "?" and week_day != "?":
        nth = re.fullmatch(r"([1-7A-Za-z]{1,3})#([1-5])", week_day)
        if nth:
            name = _day_name(nth.group(1))
            if name is None:
                return None
            return f"on the {_ORDINAL_WORDS[nth.group(2)]} {name} of {'each month' if months == '' else months[4:]}"
        names = [_day_name(d) for d in week_day.split(",")]
        if any(n is None for n in names):
            return None
        return f"weekly on {_and([n for n in names if n])}{months}"
    return None


def _months(month: str) -> Optional[str]:
    """'' for every month, ' in January and July' for a list, None for anything else."""
    if month == "*":
        return ""
    names = []
    for part in month.split(","):
        if part.isdigit() and 1 <= int(part) <= 12:
            names.append(_MONTHS[int(part) - 1])
        elif part.upper() in {m[:3].upper() for m in _MONTHS}:
            names.append(next(m for m in _MONTHS if m[:3].upper() == part.upper()))
        else:
            return None
    return f" in {_and(names)}"


def _day_name(day: str) -> Optional[str]:
    return _DAYS.get(day) or _DAY_NAMES.get(day.upper())


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _span(start: int, end: int) -> str:
    return f"{start:02d}:00\N{EN DASH}{end:02d}:00 UTC"
