"""The printable day sheet and week view: reads only, a fixed number of queries
whatever the number of sessions (clinic settings, opening hours, chairs, sessions)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from portal.clock import day_start
from portal.models import ClinicSettings
from scheduling.models import Chair, OpeningHours, Session

ROW_MINUTES = 30


@dataclass
class Cell:
    sessions: list = field(default_factory=list)
    rowspan: int = 1
    covered: bool = False  # hidden under a cell above (rowspan)


@dataclass
class Row:
    time: dt.time
    cells: list[Cell]


def _day_bounds(day: dt.date, hours: dict[int, tuple[dt.time, dt.time]]) -> tuple[dt.time, dt.time]:
    if day.weekday() in hours:
        return hours[day.weekday()]
    if hours:  # a closed weekday still shows a grid, from the earliest opening to the latest closing
        return min(o for o, _c in hours.values()), max(c for _o, c in hours.values())
    return dt.time(8), dt.time(18)


def _grid_bounds(day: dt.date, *, hours, sessions: list[Session], tz) -> tuple[dt.datetime, dt.datetime]:
    """The sheet's first and last row times (naive clinic wall clock): the opening hours,
    widened to any session outside them (changed settings) so that it still shows."""
    opens, closes = _day_bounds(day, hours)
    first = dt.datetime.combine(day, opens)
    last = dt.datetime.combine(day, closes)
    for session in sessions:
        local_start = session.start.astimezone(tz).replace(tzinfo=None)
        local_end = session.occupied_until.astimezone(tz).replace(tzinfo=None)
        first = min(first, local_start.replace(minute=local_start.minute - local_start.minute % ROW_MINUTES))
        last = max(last, local_end)
    return first, last


def _grid_place(grid: list[list[Cell]], session: Session, *, first: dt.datetime, col: int, tz) -> None:
    """Put the session in its chair's column, spanning the rows its chair is held."""
    row_count = len(grid)
    local_start = session.start.astimezone(tz).replace(tzinfo=None)
    local_end = session.occupied_until.astimezone(tz).replace(tzinfo=None)
    top = int((local_start - first).total_seconds() // 60 // ROW_MINUTES)
    bottom = math.ceil((local_end - first).total_seconds() / 60 / ROW_MINUTES)
    cell = grid[top][col]
    if cell.covered:  # overlapping a cell above after rounding: join that cell
        for above in range(top - 1, -1, -1):
            if not grid[above][col].covered:
                grid[above][col].sessions.append(session)
                break
        return
    cell.sessions.append(session)
    span = max(1, min(bottom, row_count) - top)
    if span > cell.rowspan:
        for below in range(top + cell.rowspan, top + span):
            if grid[below][col].sessions:
                break
            grid[below][col].covered = True
            cell.rowspan += 1


def day_sheet(*, day: dt.date) -> dict:
    """Chairs across, times down (half hours), each session spanning the rows its chair is held."""
    clinic = ClinicSettings.load()
    tz = clinic.tz
    hours = {row.weekday: (row.opens, row.closes) for row in OpeningHours.objects.filter(clinic=clinic)}
    chairs = list(Chair.objects.all())
    start_of_day, end_of_day = day_start(day, tz), day_start(day + dt.timedelta(days=1), tz)
    sessions = list(
        Session.objects.filter(start__gte=start_of_day, start__lt=end_of_day)
        .select_related("patient", "chair", "course")
        .order_by("start", "pk")
    )
    live = [s for s in sessions if not s.is_cancelled]
    cancelled = [s for s in sessions if s.is_cancelled]

    first, last = _grid_bounds(day, hours=hours, sessions=live, tz=tz)
    row_count = max(1, math.ceil((last - first).total_seconds() / 60 / ROW_MINUTES))
    column = {chair.pk: index for index, chair in enumerate(chairs)}
    grid = [[Cell() for _ in chairs] for _ in range(row_count)]
    for session in live:
        if session.chair_id in column:
            _grid_place(grid, session, first=first, col=column[session.chair_id], tz=tz)
    rows = [
        Row(time=(first + dt.timedelta(minutes=ROW_MINUTES * index)).time(), cells=grid[index])
        for index in range(row_count)
    ]
    return {
        "day": day,
        "chairs": chairs,
        "rows": rows,
        "sessions": live,
        "cancelled": cancelled,
        "is_open": day.weekday() in hours,
        "clinic": clinic,
        "tz": tz,
    }


def week_sheet(*, day: dt.date) -> dict:
    """Monday to Sunday of the week holding `day`: chairs down, days across."""
    clinic = ClinicSettings.load()
    tz = clinic.tz
    monday = day - dt.timedelta(days=day.weekday())
    days = [monday + dt.timedelta(days=offset) for offset in range(7)]
    hours = {row.weekday for row in OpeningHours.objects.filter(clinic=clinic)}
    chairs = list(Chair.objects.all())
    sessions = list(
        Session.objects.filter(
            start__gte=day_start(monday, tz),
            start__lt=day_start(monday + dt.timedelta(days=7), tz),
        )
        .select_related("patient")
        .order_by("start", "pk")
    )
    table = {(chair.pk, d): [] for chair in chairs for d in days}
    for session in sessions:
        key = (session.chair_id, session.start.astimezone(tz).date())
        if key in table:
            table[key].append(session)
    rows = [{"chair": chair, "cells": [table[(chair.pk, d)] for d in days]} for chair in chairs]
    return {
        "monday": monday,
        "days": [{"date": d, "open": d.weekday() in hours} for d in days],
        "rows": rows,
        "sessions": sessions,
        "tz": tz,
    }
