"""The occupation codes Workbridge knows: a curated subset of CSCO-2022 shipped as data.

CSCO codes are hierarchical (``6-05-01-03`` 缝纫工 sits in minor group ``6-05-01`` 纺织品和服装剪裁
缝纫人员, medium group ``6-05``), so "the same kind of work" can be read from a code's prefix.
The table lives in ``matching/data/csco_2022.csv`` with its source named at the top; a
jurisdiction extends it by adding rows. Codes outside the table are refused on input so a
mistyped code cannot silently match nothing.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

CODE_SHAPE = re.compile(r"^[0-9]-[0-9]{2}-[0-9]{2}-[0-9]{2}$")


@cache
def occupation_table() -> dict[str, str]:
    """code → name, in file order."""
    text = (resources.files("matching") / "data" / "csco_2022.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {row["code"]: row["name"] for row in csv.DictReader(lines)}


def is_known(code: str) -> bool:
    return code in occupation_table()


def minor_group(code: str) -> str:
    """``6-05-01-03`` → ``6-05-01`` (the narrowest group: the same trade)."""
    return code[:7]


def medium_group(code: str) -> str:
    """``6-05-01-03`` → ``6-05`` (the same sector of work)."""
    return code[:4]


def name_of(code: str) -> str:
    """The occupation's name, or its nearest group's name, or the bare code."""
    table = occupation_table()
    for candidate in (code, minor_group(code) + "-00", medium_group(code) + "-00-00"):
        if candidate in table:
            return table[candidate]
    return code


def check_code(code: str) -> str | None:
    """None when the code is usable, else the reason it is not."""
    if not CODE_SHAPE.match(code):
        return f"{code!r} is not a CSCO code (like 6-05-01-03)"
    if not is_known(code):
        return f"{code} is not in the occupation table (matching/data/csco_2022.csv)"
    return None
