"""Benchmark of the ranking on synthetic county data (``workbridge bench matching``).

The data imitate a county's labour market: Chinese job titles and skill tags per occupation,
communities around a county town with coordinates (some missing), report 4's mix of light and
heavy work, wages around the local minimum. Nothing touches the database: the figures are the
ranking's own cost, which is what grows with the county.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from kernel.memory import peak_memory_mib, reset_peak_memory
from matching.ranking import (
    build_seeker_batch,
    build_vacancy_index,
    iter_top_vacancies,
    rank_vacancies_for,
    top_vacancies,
)
from matching.rules import SHIFTS, SeekerFacts, VacancyFacts

# (code, titles, skills, physical demand, wage range in yuan)
JOBS = [
    (
        "6-05-01-03",
        ["缝纫工", "平车工", "服装缝纫工", "制衣工"],
        ["缝纫", "平车", "锁边", "熨烫", "裁剪"],
        "light",
        (1800, 3200),
    ),
    (
        "6-25-04-07",
        ["电子装配工", "电子厂普工", "插件工", "焊锡工"],
        ["电子装配", "插件", "焊锡", "贴片", "质检"],
        "light",
        (2000, 3500),
    ),
    (
        "6-18-02-04",
        ["电焊工", "氩弧焊工", "焊工"],
        ["电焊", "氩弧焊", "二保焊", "识图"],
        "medium",
        (3000, 6000),
    ),
    (
        "6-18-01-01",
        ["车工", "数控车工", "普车工"],
        ["车床", "数控", "识图", "量具"],
        "medium",
        (2800, 5500),
    ),
    (
        "6-31-01-02",
        ["机修钳工", "设备维修工"],
        ["钳工", "设备维修", "装配", "识图"],
        "medium",
        (3000, 5000),
    ),
    (
        "4-12-02-01",
        ["电脑维修员", "计算机维修工", "网管"],
        ["电脑维修", "系统安装", "办公软件", "网络"],
        "light",
        (2200, 4000),
    ),
    (
        "3-01-02-05",
        ["打字员", "文员", "录入员"],
        ["打字", "办公软件", "电脑操作", "表格"],
        "light",
        (1800, 3000),
    ),
    (
        "4-06-01-01",
        ["物业管理员", "小区管家", "物业客服"],
        ["物业管理", "客服", "收费", "巡查"],
        "light",
        (1900, 3200),
    ),
    (
        "4-09-08-01",
        ["保洁员", "清洁工", "环卫工"],
        ["清洁", "保洁", "垃圾分类"],
        "medium",
        (1600, 2400),
    ),
    (
        "4-03-02-01",
        ["厨师", "中餐厨师", "帮厨"],
        ["烹饪", "切配", "炒菜", "食品安全"],
        "medium",
        (2500, 5000),
    ),
    (
        "4-03-02-05",
        ["餐厅服务员", "传菜员", "收银服务员"],
        ["服务", "点餐", "收银", "礼仪"],
        "light",
        (1700, 2800),
    ),
    (
        "4-07-05-01",
        ["保安员", "门卫", "巡逻保安"],
        ["巡逻", "监控", "消防", "门岗"],
        "medium",
        (1800, 3000),
    ),
    (
        "6-16-01-05",
        ["井下采矿工", "采煤工", "掘进工"],
        ["采煤", "掘进", "支护", "井下作业"],
        "heavy",
        (5000, 9000),
    ),
    (
        "4-02-05-01",
        ["装卸工", "搬运工", "仓库搬运"],
        ["装卸", "搬运", "叉车"],
        "heavy",
        (2500, 4500),
    ),
    (
        "4-02-07-08",
        ["快递员", "快递分拣员", "配送员"],
        ["分拣", "配送", "驾驶", "电动车"],
        "medium",
        (3000, 6000),
    ),
    (
        "4-10-01-05",
        ["养老护理员", "护工"],
        ["护理", "照料", "康复", "陪护"],
        "medium",
        (2200, 4000),
    ),
    (
        "4-10-01-06",
        ["家政服务员", "保姆", "钟点工"],
        ["家政", "保洁", "烹饪", "育儿"],
        "medium",
        (2000, 4500),
    ),
    ("4-09-10-01", ["绿化工", "园林工"], ["绿化", "修剪", "养护", "浇灌"], "medium", (1700, 2600)),
    (
        "4-01-02-03",
        ["营业员", "导购", "超市理货员"],
        ["销售", "理货", "收银", "服务"],
        "light",
        (1800, 3000),
    ),
    ("6-29-01-01", ["砌筑工", "泥瓦工"], ["砌墙", "抹灰", "识图"], "heavy", (4000, 7000)),
]
TRADES = {
    "electric_sewing": ("6-05-01",),
    "electronics_assembly": ("6-25-02", "6-25-04"),
    "lathe_welding_fitting": ("6-18-01", "6-18-02", "6-18-04", "6-20-01", "6-31-01"),
    "computer_operation_repair": ("3-01-02", "4-12-02", "6-25-03"),
    "property_management": ("4-06-01", "4-09-08"),
    "catering": ("4-03-02",),
    "security": ("4-07-05",),
    "entrepreneurship": (),
    "coal_mining": ("6-16-01",),
}
EMPLOYERS = ["华丰", "永兴", "盛达", "东方", "金源", "鑫隆", "宏达", "恒信", "兴旺", "安顺"]
TODAY = date(2026, 3, 2)
MINIMUM_WAGE = Decimal("1500.00")
CENTRE = (32.53, 117.67)  # a county town


def _communities(rng: random.Random, count: int = 60) -> list[tuple[str, float, float]]:
    names = [f"{a}{b}社区" for a in "东西南北中新老上下前" for b in "街门关桥湖山园庄"]
    rng.shuffle(names)
    return [
        (name, CENTRE[0] + rng.gauss(0, 0.12), CENTRE[1] + rng.gauss(0, 0.12))
        for name in names[:count]
    ]


def synthetic_vacancies(count: int, seed: int = 1) -> list[VacancyFacts]:
    rng = random.Random(seed)
    places = _communities(random.Random(seed + 99))
    out = []
    for i in range(count):
        code, titles, skills, demand, (low, high) = rng.choice(JOBS)
        community, lat, lon = rng.choice(places)
        known = rng.random() < 0.8
        source = rng.choices(
            ["local_employer", "public_welfare", "outside_county"], weights=[80, 12, 8]
        )[0]
        out.append(
            VacancyFacts(
                vacancy_id=i + 1,
                occupation_code=code,
                title=rng.choice(titles),
                skills=tuple(rng.sample(skills, rng.randint(1, min(3, len(skills))))),
                community=community,
                lat=lat + rng.gauss(0, 0.005) if known else None,
                lon=lon + rng.gauss(0, 0.005) if known else None,
                monthly_wage=Decimal(rng.randrange(low, high, 50)).quantize(Decimal("0.01")),
                hours_per_week=rng.choice([20, 30, 40, 40, 40, 44, 48]),
                shift=rng.choices(SHIFTS, weights=[75, 15, 10])[0],
                openings=rng.choice([0, 1, 1, 2, 3, 5, 10]),
                physical_demand=demand,
                source=source,
                valid_until=TODAY + timedelta(days=rng.randint(-10, 90)),
                labour_dispute=rng.random() < 0.01,
                employer=rng.choice(EMPLOYERS)
                + rng.choice(["服装厂", "电子厂", "物业公司", "酒店"]),
            )
        )
    return out


def synthetic_seekers(count: int, seed: int = 2) -> list[SeekerFacts]:
    rng = random.Random(seed)
    places = _communities(random.Random(seed + 98))
    out = []
    for i in range(count):
        wanted = rng.sample(JOBS, rng.randint(1, 3))
        community, lat, lon = rng.choice(places)
        known = rng.random() < 0.7
        partial = rng.random() < 0.2
        skills = {s for job in wanted for s in rng.sample(job[2], rng.randint(1, 2))}
        out.append(
            SeekerFacts(
                member_id=i + 1,
                work_capacity="partial" if partial else "full",
                disability="mild" if rng.random() < 0.05 else "none",
                serious_illness=rng.random() < 0.03,
                physical_limit=rng.choices(["none", "no_heavy", "light_only"], [70, 20, 10])[0],
                hours_per_week=rng.choice([20, 30, 40, 40, 44, 48]),
                shifts=frozenset(rng.choice([("day",), ("day",), ("day", "evening"), SHIFTS])),
                childcare=rng.random() < 0.15,
                max_commute_km=float(rng.choice([3, 5, 10, 15, 20, 30])),
                community=community,
                lat=lat + rng.gauss(0, 0.005) if known else None,
                lon=lon + rng.gauss(0, 0.005) if known else None,
                accepts_outside_county=rng.random() < 0.25,
                reservation_wage=Decimal(rng.choice([0, 1800, 2000, 2500, 3000, 3500])),
                desired_occupations=tuple(job[0] for job in wanted),
                skills=tuple(sorted(skills)),
                training_wishes=tuple(rng.sample(list(TRADES), rng.randint(0, 2))),
            )
        )
    return out


@dataclass
class BenchReport:
    seekers: int
    vacancies: int
    open_vacancies: int
    build_seconds: float
    batch_seconds: float
    seekers_per_second: float
    with_any_match: int
    query_p50_ms: float
    query_p95_ms: float
    queries: int
    peak_rss_mib: float
    floor_seconds: float  # the same number of pairs scored by one multiply, top-10 kept
    checked: int  # seekers whose pruned top-10 was compared with the exhaustive one
    differing: int  # of those, how many differ (must be 0)

    @property
    def ratio(self) -> float:
        return self.batch_seconds / self.floor_seconds if self.floor_seconds else 0.0


def run_bench(
    seekers: int,
    vacancies: int,
    *,
    queries: int = 200,
    block: int = 256,
    seed: int = 7,
    check: int = 2_000,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BenchReport:
    """Batch top-10 for every seeker, then single-person queries (with explanations).

    The batch scores each block of seekers only against the vacancies their location allows;
    ``check`` seekers drawn at random are ranked again against every open vacancy, and the
    report says how many of them got a different top-10 (the answer must be none)."""
    workers = workers or os.cpu_count() or 1
    measured = reset_peak_memory()
    vacancy_facts = synthetic_vacancies(vacancies, seed)
    seeker_facts = synthetic_seekers(seekers, seed + 1)
    started = time.perf_counter()
    index = build_vacancy_index(vacancy_facts, TRADES)
    batch = build_seeker_batch(seeker_facts, index)
    built = time.perf_counter()
    top = np.full((seekers, 10), -1, dtype=np.int64)
    done = 0
    for rows, ids, _ in iter_top_vacancies(
        batch,
        index,
        today=TODAY,
        minimum_wage=MINIMUM_WAGE,
        k=10,
        block=block,
        workers=workers,
    ):
        top[rows] = ids
        done += len(ids)
        if progress:
            progress(done)
    finished = time.perf_counter()
    matched = int((top[:, 0] >= 0).sum())
    rng = random.Random(seed)
    sample = np.array(sorted(rng.sample(range(seekers), min(check, seekers))), dtype=np.int64)
    reference, _ = top_vacancies(
        build_seeker_batch([seeker_facts[i] for i in sample], index),
        index,
        today=TODAY,
        minimum_wage=MINIMUM_WAGE,
        k=10,
        block=block,
        exhaustive=True,
    )
    differing = int((reference != top[sample]).any(axis=1).sum())
    latencies = []
    for seeker in rng.sample(seeker_facts, min(queries, len(seeker_facts))):
        t0 = time.perf_counter()
        rank_vacancies_for(seeker, index, today=TODAY, minimum_wage=MINIMUM_WAGE, k=10)
        latencies.append((time.perf_counter() - t0) * 1000)
    cuts = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else latencies * 19
    batch_seconds = finished - built
    floor = floor_top_k(seekers, vacancies, block=block, k=10, seed=seed)
    return BenchReport(
        seekers=seekers,
        vacancies=vacancies,
        open_vacancies=len(index.open_columns(TODAY, MINIMUM_WAGE)),
        build_seconds=built - started,
        batch_seconds=batch_seconds,
        seekers_per_second=seekers / batch_seconds if batch_seconds else float("inf"),
        with_any_match=matched,
        query_p50_ms=statistics.median(latencies) if latencies else 0.0,
        query_p95_ms=cuts[18] if latencies else 0.0,
        queries=len(latencies),
        peak_rss_mib=peak_memory_mib(measured),
        floor_seconds=floor,
        checked=len(sample),
        differing=differing,
    )


def floor_top_k(seekers: int, vacancies: int, *, block: int, k: int, seed: int) -> float:
    """What the machine takes to give every seeker–vacancy pair one score and keep each
    seeker's top ``k``, with none of the rules: a block of seekers × all vacancies as one
    float32 matrix product of 16 features, then ``argpartition`` — the same blocks and the same
    top-k step as the ranking. Seconds."""
    rng = np.random.default_rng(seed)
    left = rng.random((seekers, 16), dtype=np.float32)
    right = rng.random((16, vacancies), dtype=np.float32)
    keep = min(k, vacancies)
    started = time.perf_counter()
    for start in range(0, seekers, block):
        scores = left[start : start + block] @ right
        top = np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
        np.take_along_axis(scores, top, axis=1)
    return time.perf_counter() - started
