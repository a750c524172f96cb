"""The points of a replay grid laid out as surfaces (issue 16: "a sweep over a grid of values
... as a surface of cost and people affected").

A grid's points come in the order of ``itertools.product`` over its axes; which parameters are
axes is read back from the points themselves (the keys whose value differs between points), so
a run stored before this layout existed is drawn the same way. The first axis runs across, the
second down, and every combination of the others gets a surface of its own. Pure: no page, no
language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

Point = Mapping[str, Any]


@dataclass(frozen=True)
class Surface:
    facet: tuple[tuple[str, str], ...]  # the settings of the axes beyond the first two
    column_axis: str
    row_axis: str | None
    columns: tuple[str, ...]
    rows: tuple[str, ...]
    points: tuple[tuple[Point | None, ...], ...]  # points[row][column]


def grid_order(grid: Sequence[str]) -> list[str]:
    """The parameter of each ``key=v1,v2`` axis of a run's grid, in the order asked."""
    return [axis.partition("=")[0].strip() for axis in grid]


def axes_of(
    points: Sequence[Point], order: Sequence[str] = ()
) -> list[tuple[str, tuple[str, ...]]]:
    """The parameters that vary between the points, each with its values in the order first
    met; parameters every point shares (the run's ``--set`` changes) are not axes. ``order``
    is the axes as the grid was asked (a reform's changes are stored sorted by key); a varying
    parameter it does not name comes after those it does."""
    values: dict[str, list[str]] = {}
    for point in points:
        for key, value in point["reform"].items():
            seen = values.setdefault(key, [])
            if str(value) not in seen:
                seen.append(str(value))
    for point in points:
        for key in values:
            if key not in point["reform"] and "" not in values[key]:
                values[key].append("")
    axes = [(key, tuple(found)) for key, found in values.items() if len(found) > 1]
    given = {key: i for i, key in enumerate(order)}
    return sorted(axes, key=lambda axis: given.get(axis[0], len(given)))


def surfaces(points: Sequence[Point], order: Sequence[str] = ()) -> list[Surface]:
    """One surface per combination of the third and later axes, in the grid's order; nothing
    when no parameter varies (a single point is no surface)."""
    axes = axes_of(points, order)
    if not axes:
        return []
    by_settings = {
        tuple(str(point["reform"].get(key, "")) for key, _ in axes): point for point in points
    }
    column_axis, columns = axes[0]
    row_axis, rows = axes[1] if len(axes) > 1 else (None, ("",))
    out = []
    for facet in product(*(found for _, found in axes[2:])):
        grid = tuple(
            tuple(
                by_settings.get((column, *((row,) if row_axis else ()), *facet))
                for column in columns
            )
            for row in rows
        )
        out.append(
            Surface(
                facet=tuple((key, value) for (key, _), value in zip(axes[2:], facet, strict=True)),
                column_axis=column_axis,
                row_axis=row_axis,
                columns=columns,
                rows=rows,
                points=grid,
            )
        )
    return out
