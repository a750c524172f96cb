"""Random but plausible seekers and vacancies for comparing the vectorised ranking with the
pure rules pair by pair (boundary values are drawn on purpose)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from matching.rules import SHIFTS, SeekerFacts, VacancyFacts

CODES = [
    "6-05-01-03",
    "6-05-01-04",
    "6-25-04-07",
    "6-18-02-04",
    "4-03-02-05",
    "4-07-05-01",
    "6-16-01-05",
    "4-09-08-01",
    "4-02-05-01",
]
TITLES = ["缝纫工", "电子装配工", "电焊工", "餐厅服务员", "保安", "井下采矿工", "保洁员", "搬运工"]
SKILLS = ["缝纫", "熨烫", "电焊", "焊接", "电子装配", "插件", "烹饪", "服务", "巡逻", "清洁"]
COMMUNITIES = ["东街社区", "西街社区", "南门社区", ""]
TRADES = {"electric_sewing": ["6-05-01"], "coal_mining": ["6-16-01"], "security": ["4-07-05"]}
TODAY = date(2026, 3, 1)


def seeker(rng: random.Random, member_id: int) -> SeekerFacts:
    coords = rng.random() < 0.6
    return SeekerFacts(
        member_id=member_id,
        work_capacity=rng.choice(["full", "full", "partial"]),
        disability=rng.choice(["none", "none", "none", "mild"]),
        serious_illness=rng.random() < 0.1,
        physical_limit=rng.choice(["none", "no_heavy", "light_only"]),
        hours_per_week=rng.choice([20, 30, 40, 44]),
        shifts=frozenset(rng.sample(SHIFTS, rng.randint(1, 3))),
        childcare=rng.random() < 0.2,
        max_commute_km=rng.choice([0.0, 5.0, 10.0, 20.0]),
        community=rng.choice(COMMUNITIES),
        lat=32.53 + rng.uniform(-0.1, 0.1) if coords else None,
        lon=117.67 + rng.uniform(-0.1, 0.1) if coords else None,
        accepts_outside_county=rng.random() < 0.3,
        reservation_wage=Decimal(rng.choice([0, 1500, 2000, 2600, 3000])),
        desired_occupations=tuple(rng.sample(CODES, rng.randint(0, 2))),
        skills=tuple(rng.sample(SKILLS, rng.randint(0, 3))),
        training_wishes=tuple(rng.sample(list(TRADES), rng.randint(0, 1))),
    )


def vacancy(rng: random.Random, vacancy_id: int) -> VacancyFacts:
    coords = rng.random() < 0.6
    return VacancyFacts(
        vacancy_id=vacancy_id,
        occupation_code=rng.choice(CODES),
        title=rng.choice(TITLES),
        skills=tuple(rng.sample(SKILLS, rng.randint(0, 2))),
        community=rng.choice(COMMUNITIES),
        lat=32.53 + rng.uniform(-0.1, 0.1) if coords else None,
        lon=117.67 + rng.uniform(-0.1, 0.1) if coords else None,
        monthly_wage=Decimal(rng.choice([1400, 1499.99, 1500, 2000, 2600, 3200])).quantize(
            Decimal("0.01")
        ),
        hours_per_week=rng.choice([20, 30, 40, 44]),
        shift=rng.choice(SHIFTS),
        openings=rng.choice([0, 1, 3]),
        physical_demand=rng.choice(["light", "medium", "heavy"]),
        source=rng.choice(["public_welfare", "local_employer", "outside_county"]),
        valid_until=TODAY + timedelta(days=rng.choice([-1, 0, 30])),
        labour_dispute=rng.random() < 0.1,
    )
