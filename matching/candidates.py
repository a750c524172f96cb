"""Which vacancies a block of seekers could possibly be suited to, found without scoring pairs.

Scoring every seeker against every open vacancy grows with their product: 100,000 × 20,000
is two billion pairs, and only about one in thirteen passes the hard checks (report 4's
commute limit is the check that rejects most). The location check decides the pair from facts
that can be grouped in advance:

- a vacancy outside the county suits only people who accept work outside it;
- where both sides have coordinates, the vacancy must lie within the person's commute;
- where either side lacks them, both must be in the same community.

So seekers are grouped by what they share (coordinates or not, accepting outside work, commute
limit, a cell of the map or their community) and cut into blocks; each block gets the columns
that can pass its location check — a superset, found from the block's centre and the triangle
inequality — and only those are scored. Every suitable pair of the block is among its columns,
so the top-k per person is exactly the exhaustive one (``tests/unit/matching`` compares them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from matching.rules import EARTH_RADIUS_KM

if TYPE_CHECKING:  # ranking builds on this module; only its types are wanted here
    from matching.ranking import SeekerBatch, VacancyIndex

CELL_DEGREES = 0.05  # about 5.5 km of latitude: people in a cell share their nearby vacancies
SLACK_RADIANS = 1e-6  # rounding room (arccos near 1 is off by ~1e-8): the superset loses no pair


@dataclass(frozen=True)
class Block:
    """Seeker rows of a batch and the vacancy columns that may suit any of them."""

    rows: np.ndarray
    columns: np.ndarray


def _angles_from(centre: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    cosine = np.clip(xyz @ centre, -1.0, 1.0)
    return np.arccos(cosine)


def _cells(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.degrees(np.arcsin(np.clip(xyz[:, 2], -1.0, 1.0)))
    lon = np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0]))
    return np.floor(lat / CELL_DEGREES).astype(np.int64), np.floor(lon / CELL_DEGREES).astype(
        np.int64
    )


def _groups(batch: SeekerBatch, has_xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seeker rows ordered so that rows of one group are consecutive, and group boundaries."""
    cell_y, cell_x = _cells(batch.xyz)
    # People without coordinates are placed by community only; their cell is meaningless.
    cell_y = np.where(has_xyz, cell_y, 0)
    cell_x = np.where(has_xyz, cell_x, 0)
    community = np.where(has_xyz, 0, batch.community)
    max_km = np.where(has_xyz, batch.max_km, 0.0)
    keys = (cell_x, cell_y, community, max_km, batch.accepts_outside, has_xyz)
    order = np.lexsort(keys)
    sorted_keys = [k[order] for k in keys]
    change = np.zeros(len(order), dtype=bool)
    if len(order):
        change[0] = True
        for k in sorted_keys:
            change[1:] |= k[1:] != k[:-1]
    return order, np.flatnonzero(change)


def candidate_blocks(
    batch: SeekerBatch, index: VacancyIndex, columns: np.ndarray, block: int
) -> Iterator[Block]:
    """Blocks of at most ``block`` seekers with the open ``columns`` their location allows."""
    outside = columns[index.outside[columns]]
    local = columns[~index.outside[columns]]
    local_with_xyz = local[index.has_xyz[local]]
    local_without_xyz = local[~index.has_xyz[local]]
    order, starts = _groups(batch, batch.has_xyz)
    bounds = [*starts.tolist(), len(order)]
    for g in range(len(bounds) - 1):
        group = order[bounds[g] : bounds[g + 1]]
        for start in range(0, len(group), block):
            rows = np.sort(group[start : start + block])
            columns_of_block = _columns_for(
                batch, index, rows, outside, local_with_xyz, local_without_xyz
            )
            yield Block(rows, columns_of_block)


def _columns_for(
    batch: SeekerBatch,
    index: VacancyIndex,
    rows: np.ndarray,
    outside: np.ndarray,
    local_with_xyz: np.ndarray,
    local_without_xyz: np.ndarray,
) -> np.ndarray:
    """Columns that can pass the location check for some row (rows share the group's keys)."""
    parts = []
    if batch.accepts_outside[rows[0]]:
        parts.append(outside)
    communities = np.unique(batch.community[rows])
    if batch.has_xyz[rows[0]]:
        # Either side without coordinates: same community. Both with: within the commute.
        parts.append(local_without_xyz[np.isin(index.community[local_without_xyz], communities)])
        centre = batch.xyz[rows].sum(axis=0)
        norm = float(np.linalg.norm(centre))
        if norm == 0.0:
            parts.append(local_with_xyz)
        else:
            centre = centre / norm
            spread = float(_angles_from(centre, batch.xyz[rows]).max())
            reach = spread + float(batch.max_km[rows].max()) / EARTH_RADIUS_KM + SLACK_RADIANS
            if reach >= np.pi:
                parts.append(local_with_xyz)
            else:
                near = _angles_from(centre, index.xyz[local_with_xyz]) <= reach
                parts.append(local_with_xyz[near])
    else:
        local = np.concatenate([local_with_xyz, local_without_xyz])
        parts.append(local[np.isin(index.community[local], communities)])
    if not parts:
        return np.empty(0, dtype=np.int64)
    return np.unique(np.concatenate(parts))
