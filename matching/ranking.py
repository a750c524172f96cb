"""Vectorised ranking: the hard checks and the score of ``rules`` over whole arrays at once.

A county has tens of thousands of seekers and vacancies; asking ``check_suitability`` for every
pair in a Python loop would take hours. Here each side is turned into numpy arrays once
(demand levels, hours, shift bits, unit vectors for distance, integer ids for occupation codes
and communities, a sparse matrix of character bigrams for skills) and a block of seekers is
compared with every open vacancy in a handful of array operations. The result must equal the
pure rules pair by pair — the tests compare them — and the explanation of each top match is
then produced by the pure rules themselves, so what a counsellor reads is exactly the rule.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from scipy import sparse

from kernel.money import to_fen
from matching.candidates import candidate_blocks
from matching.occupations import medium_group, minor_group
from matching.rules import (
    DEMAND_LEVEL,
    EARTH_RADIUS_KM,
    OUTSIDE_COUNTY,
    SHIFTS,
    WEIGHTS,
    Score,
    SeekerFacts,
    Suitability,
    VacancyFacts,
    allowed_demand,
    check_suitability,
    effective_shifts,
    grams,
    score_vacancy,
    unit_vector,
)

SHIFT_BIT = {name: 1 << i for i, name in enumerate(SHIFTS)}
DEFAULT_BLOCK = 256  # seekers per block: 256 × 20,000 pairs keeps each temporary near 40 MB


class _Vocabulary:
    """Strings to dense integer ids, growing as new strings are seen."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def add(self, value: str) -> int:
        return self.ids.setdefault(value, len(self.ids))

    def get(self, value: str, missing: int) -> int:
        return self.ids.get(value, missing)

    def __len__(self) -> int:
        return len(self.ids)


def _gram_matrix(
    texts: Sequence[frozenset[str]], vocab: _Vocabulary, grow: bool
) -> sparse.csr_matrix:
    """Rows of 1/sqrt(|grams|) over the vocabulary, so a row product is the Ochiai cosine.

    The norm counts every gram of the text, including grams the other side has never seen,
    exactly as ``rules.overlap`` does.
    """
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for text in texts:
        weight = 1.0 / np.sqrt(len(text)) if text else 0.0
        for gram in text:
            column = vocab.add(gram) if grow else vocab.get(gram, -1)
            if column >= 0:
                indices.append(column)
                data.append(weight)
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int32), indptr),
        shape=(len(texts), max(len(vocab), 1)),
    )


def _xyz(
    lats: Sequence[float | None], lons: Sequence[float | None]
) -> tuple[np.ndarray, np.ndarray]:
    known = np.array([a is not None and b is not None for a, b in zip(lats, lons, strict=True)])
    xyz = np.zeros((len(lats), 3))
    for i, (lat, lon) in enumerate(zip(lats, lons, strict=True)):
        if lat is not None and lon is not None:
            xyz[i] = unit_vector(lat, lon)
    return xyz, known


@dataclass
class VacancyIndex:
    """Vacancies as arrays, built once and queried many times."""

    facts: list[VacancyFacts]
    ids: np.ndarray
    demand: np.ndarray
    hours: np.ndarray
    shift_bit: np.ndarray
    wage_fen: np.ndarray
    outside: np.ndarray
    dispute: np.ndarray
    openings: np.ndarray
    valid_until: np.ndarray  # proleptic ordinals
    xyz: np.ndarray
    has_xyz: np.ndarray
    community: np.ndarray  # -1: none recorded
    code: np.ndarray
    minor: np.ndarray
    medium: np.ndarray
    grams: sparse.csr_matrix
    gram_vocab: _Vocabulary
    code_vocab: _Vocabulary
    minor_vocab: _Vocabulary
    medium_vocab: _Vocabulary
    community_vocab: _Vocabulary
    trade_occupations: Mapping[str, Sequence[str]]
    code_minor: np.ndarray  # occupation code id -> its minor group's id
    code_medium: np.ndarray  # occupation code id -> its medium group's id
    grams_by_column: sparse.csc_matrix  # ``grams`` transposed, for picking vacancy columns

    def open_columns(self, today: date, minimum_wage: Decimal) -> np.ndarray:
        """Vacancies that pass the checks that depend on the vacancy alone: valid, with
        openings, no dispute, wage at or above the minimum."""
        ok = (
            (self.valid_until >= today.toordinal())
            & (self.openings > 0)
            & ~self.dispute
            & (self.wage_fen >= to_fen(minimum_wage))
        )
        return np.flatnonzero(ok)


def build_vacancy_index(
    vacancies: Sequence[VacancyFacts], trade_occupations: Mapping[str, Sequence[str]] | None = None
) -> VacancyIndex:
    gram_vocab, code_vocab, minor_vocab, medium_vocab, communities = (
        _Vocabulary(),
        _Vocabulary(),
        _Vocabulary(),
        _Vocabulary(),
        _Vocabulary(),
    )
    xyz, has_xyz = _xyz([v.lat for v in vacancies], [v.lon for v in vacancies])
    gram_matrix = _gram_matrix([grams((v.title, *v.skills)) for v in vacancies], gram_vocab, True)
    code = np.array([code_vocab.add(v.occupation_code) for v in vacancies], dtype=np.int32)
    minor = np.array(
        [minor_vocab.add(minor_group(v.occupation_code)) for v in vacancies], dtype=np.int32
    )
    medium = np.array(
        [medium_vocab.add(medium_group(v.occupation_code)) for v in vacancies], dtype=np.int32
    )
    code_minor = np.zeros(max(len(code_vocab), 1), dtype=np.int32)
    code_minor[code] = minor
    code_medium = np.zeros(max(len(code_vocab), 1), dtype=np.int32)
    code_medium[code] = medium
    return VacancyIndex(
        facts=list(vacancies),
        ids=np.array([v.vacancy_id for v in vacancies], dtype=np.int64),
        demand=np.array([DEMAND_LEVEL[v.physical_demand] for v in vacancies], dtype=np.int8),
        hours=np.array([v.hours_per_week for v in vacancies], dtype=np.int16),
        shift_bit=np.array([SHIFT_BIT[v.shift] for v in vacancies], dtype=np.uint8),
        wage_fen=np.array([to_fen(v.monthly_wage) for v in vacancies], dtype=np.int64),
        outside=np.array([v.source == OUTSIDE_COUNTY for v in vacancies], dtype=bool),
        dispute=np.array([v.labour_dispute for v in vacancies], dtype=bool),
        openings=np.array([v.openings for v in vacancies], dtype=np.int32),
        valid_until=np.array([v.valid_until.toordinal() for v in vacancies], dtype=np.int32),
        xyz=xyz,
        has_xyz=has_xyz,
        community=np.array(
            [communities.add(v.community) if v.community else -1 for v in vacancies],
            dtype=np.int32,
        ),
        code=code,
        minor=minor,
        medium=medium,
        grams=gram_matrix,
        gram_vocab=gram_vocab,
        code_vocab=code_vocab,
        minor_vocab=minor_vocab,
        medium_vocab=medium_vocab,
        community_vocab=communities,
        trade_occupations=dict(trade_occupations or {}),
        code_minor=code_minor,
        code_medium=code_medium,
        grams_by_column=gram_matrix.T.tocsc(),
    )


@dataclass
class SeekerBatch:
    """Seekers as arrays, expressed in one vacancy index's vocabularies."""

    facts: list[SeekerFacts]
    ids: np.ndarray
    max_demand: np.ndarray
    hours: np.ndarray
    shift_bits: np.ndarray
    max_km: np.ndarray
    xyz: np.ndarray
    has_xyz: np.ndarray
    community: np.ndarray  # -2: not a community any vacancy is in
    accepts_outside: np.ndarray
    reservation_fen: np.ndarray
    desired: sparse.csr_matrix  # seekers × occupation codes
    desired_minor: sparse.csr_matrix
    desired_medium: sparse.csr_matrix
    wished: sparse.csr_matrix  # seekers × codes in a trade the seeker wants to train for
    grams: sparse.csr_matrix

    def __len__(self) -> int:
        return len(self.facts)


def _indicator(rows: Sequence[Sequence[int]], width: int) -> sparse.csr_matrix:
    indptr = np.cumsum([0, *(len(r) for r in rows)])
    indices = np.fromiter((c for r in rows for c in r), dtype=np.int32, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=bool)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), max(width, 1)))
    matrix.sum_duplicates()
    return matrix


def build_seeker_batch(seekers: Sequence[SeekerFacts], index: VacancyIndex) -> SeekerBatch:
    codes = index.code_vocab.ids
    code_list = list(codes)
    trade_codes = {
        trade: [codes[c] for c in code_list if any(c.startswith(p) for p in prefixes)]
        for trade, prefixes in index.trade_occupations.items()
    }
    xyz, has_xyz = _xyz([s.lat for s in seekers], [s.lon for s in seekers])
    desired_rows, minor_rows, medium_rows, wished_rows = [], [], [], []
    for s in seekers:
        desired_rows.append([codes[c] for c in s.desired_occupations if c in codes])
        minor_rows.append(
            [
                index.minor_vocab.ids[minor_group(c)]
                for c in s.desired_occupations
                if minor_group(c) in index.minor_vocab.ids
            ]
        )
        medium_rows.append(
            [
                index.medium_vocab.ids[medium_group(c)]
                for c in s.desired_occupations
                if medium_group(c) in index.medium_vocab.ids
            ]
        )
        wished_rows.append([c for t in s.training_wishes for c in trade_codes.get(t, ())])
    return SeekerBatch(
        facts=list(seekers),
        ids=np.array([s.member_id for s in seekers], dtype=np.int64),
        max_demand=np.array([allowed_demand(s) for s in seekers], dtype=np.int8),
        hours=np.array([s.hours_per_week for s in seekers], dtype=np.int16),
        shift_bits=np.array(
            [sum(SHIFT_BIT[x] for x in effective_shifts(s)) for s in seekers], dtype=np.uint8
        ),
        max_km=np.array([s.max_commute_km for s in seekers], dtype=np.float64),
        xyz=xyz,
        has_xyz=has_xyz,
        community=np.array(
            [index.community_vocab.get(s.community, -2) if s.community else -2 for s in seekers],
            dtype=np.int32,
        ),
        accepts_outside=np.array([s.accepts_outside_county for s in seekers], dtype=bool),
        reservation_fen=np.array([to_fen(s.reservation_wage) for s in seekers], dtype=np.int64),
        desired=_indicator(desired_rows, len(index.code_vocab)),
        desired_minor=_indicator(minor_rows, len(index.minor_vocab)),
        desired_medium=_indicator(medium_rows, len(index.medium_vocab)),
        wished=_indicator(wished_rows, len(index.code_vocab)),
        grams=_gram_matrix([grams(s.skills) for s in seekers], index.gram_vocab, False),
    )


def pair_scores(
    batch: SeekerBatch, rows: slice | np.ndarray, index: VacancyIndex, columns: np.ndarray
) -> np.ndarray:
    """Scores of seekers ``rows`` × vacancies ``columns``; -inf where any hard check fails.

    The same checks and weights as ``rules.check_suitability`` and ``rules.score_vacancy``
    (the vacancy-only checks are applied by choosing ``columns`` from ``open_columns``).
    The checks that need no arithmetic run over the whole block; everything else runs only on
    the pairs still standing (about one in five), element by element, so a pair's score never
    depends on which other pairs shared its block.
    """
    rows = np.arange(len(batch))[rows] if isinstance(rows, slice) else np.asarray(rows)
    out = np.full((len(rows), len(columns)), -np.inf)
    if not len(rows) or not len(columns):
        return out
    outside_c = index.outside[columns]
    ok = index.demand[columns][None, :] <= batch.max_demand[rows][:, None]
    ok &= index.hours[columns][None, :] <= batch.hours[rows][:, None]
    ok &= (index.shift_bit[columns][None, :] & batch.shift_bits[rows][:, None]) != 0

    # Location, first as a superset: a cosine below the commute's by more than rounding
    # cannot pass. In the order ``rules.distance_km`` adds them.
    s_xyz, v_xyz = batch.xyz[rows], index.xyz[columns]
    cosine = s_xyz[:, 0:1] * v_xyz[:, 0]
    cosine += s_xyz[:, 1:2] * v_xyz[:, 1]
    cosine += s_xyz[:, 2:3] * v_xyz[:, 2]
    limit_rows = batch.max_km[rows]
    reach = np.cos(np.minimum(limit_rows / EARTH_RADIUS_KM, np.pi)) - 1e-9
    both = batch.has_xyz[rows][:, None] & index.has_xyz[columns][None, :]
    same = batch.community[rows][:, None] == index.community[columns][None, :]
    ok &= np.where(
        outside_c[None, :],
        batch.accepts_outside[rows][:, None],
        np.where(both, cosine >= reach[:, None], same),
    )
    flat = np.flatnonzero(ok)
    r = flat // len(columns)
    c = flat - r * len(columns)

    # Then exactly, on the pairs left.
    outside, both, same = outside_c[c], both.ravel()[flat], same.ravel()[flat]
    km = EARTH_RADIUS_KM * np.arccos(np.clip(cosine.ravel()[flat], -1.0, 1.0))
    limit = limit_rows[r]
    # Nearly every pair the superset let through passes; mark the few that do not at the end
    # rather than compress every array again.
    passed = outside | np.where(both, km <= limit, same)

    occupation_by_code, wished_by_code = _occupation_tables(batch, rows, index)
    by_code = r * occupation_by_code.shape[1] + index.code[columns][c]
    occupation = occupation_by_code.ravel()[by_code]
    wished = wished_by_code.ravel()[by_code]
    skills = (batch.grams[rows] @ index.grams_by_column[:, columns]).toarray().ravel()[flat]

    with np.errstate(divide="ignore", invalid="ignore"):
        by_km = np.where(limit > 0, np.maximum(0.0, 1.0 - km / limit), (km == 0).astype(float))
    distance = np.where(outside, 0.5, np.where(both, by_km, np.where(same, 1.0, 0.5)))

    reservation = batch.reservation_fen[rows].astype(np.float64)[r]
    wage = index.wage_fen[columns].astype(np.float64)[c]
    with np.errstate(divide="ignore", invalid="ignore"):
        short = np.maximum(0.0, 1.0 - 2.0 * (reservation - wage) / reservation)
    wage_fit = np.where((reservation <= 0) | (wage >= reservation), 1.0, short)

    out.ravel()[flat] = np.where(
        passed,
        WEIGHTS["occupation"] * occupation
        + WEIGHTS["skills"] * skills
        + WEIGHTS["distance"] * distance
        + WEIGHTS["wage"] * wage_fit
        + WEIGHTS["wished"] * wished,
        -np.inf,
    )
    return out


def _occupation_tables(
    batch: SeekerBatch, rows: np.ndarray, index: VacancyIndex
) -> tuple[np.ndarray, np.ndarray]:
    """Per row and occupation code: the occupation component (1 the code asked for, 0.6 its
    minor group, 0.3 its medium group) and whether it is in a trade the person wishes to train
    for — small tables, looked up once per pair."""
    exact = batch.desired[rows].toarray()
    minor = batch.desired_minor[rows].toarray()[:, index.code_minor]
    medium = batch.desired_medium[rows].toarray()[:, index.code_medium]
    occupation = np.where(exact, 1.0, np.where(minor, 0.6, np.where(medium, 0.3, 0.0)))
    return occupation, batch.wished[rows].toarray().astype(np.float64)


def _top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the k best (score desc, id asc); -1 / -inf pad rows with fewer suitable."""
    n = scores.shape[1]
    k_eff = min(k, n)
    out_ids = np.full((scores.shape[0], k), -1, dtype=np.int64)
    out_scores = np.full((scores.shape[0], k), -np.inf)
    if k_eff == 0:
        return out_ids, out_scores
    part = np.argpartition(scores, n - k_eff, axis=1)[:, n - k_eff :] if k_eff < n else None
    candidates = part if part is not None else np.broadcast_to(np.arange(n), scores.shape)
    cand_scores = np.take_along_axis(scores, candidates, axis=1)
    cand_ids = ids[candidates]
    order = np.lexsort((cand_ids, -cand_scores), axis=1)
    top = np.take_along_axis(candidates, order, axis=1)[:, :k_eff].copy()
    if part is not None:
        _settle_ties(scores, ids, top, cand_scores.min(axis=1))
    top_scores = np.take_along_axis(scores, top, axis=1)
    top_ids = np.where(np.isfinite(top_scores), ids[top], -1)
    out_ids[:, :k_eff] = top_ids
    out_scores[:, :k_eff] = top_scores
    return out_ids, out_scores


def _settle_ties(scores: np.ndarray, ids: np.ndarray, top: np.ndarray, kth: np.ndarray) -> None:
    """Where several columns tie with the k-th score, keep the lowest ids, as the order says.

    ``argpartition`` cuts a tie at the k-th place arbitrarily, so without this the same
    person could get a different last vacancy depending on which other columns were scored.
    """
    k_eff = top.shape[1]
    crowded = (scores >= kth[:, None]).sum(axis=1) > k_eff
    for row in np.flatnonzero(crowded & np.isfinite(kth)):
        tied = np.flatnonzero(scores[row] >= kth[row])
        order = np.lexsort((ids[tied], -scores[row, tied]))
        top[row] = tied[order[:k_eff]]


def iter_top_vacancies(
    batch: SeekerBatch,
    index: VacancyIndex,
    *,
    today: date,
    minimum_wage: Decimal,
    k: int = 10,
    block: int = DEFAULT_BLOCK,
    exhaustive: bool = False,
    workers: int = 1,
) -> Iterator[tuple[slice | np.ndarray, np.ndarray, np.ndarray]]:
    """Blocks of (seeker rows, vacancy ids k per row, scores): the batch top-k for everyone,
    in memory bounded by the block size.

    By default each block is scored only against the vacancies its location check can pass
    (``matching.candidates``); ``exhaustive`` scores every open vacancy, the reference the
    pruned path is tested against. Rows come in the pruned path's order, not the batch's.
    ``workers`` > 1 scores that many blocks at once on threads (numpy and scipy release the
    interpreter lock inside array work); only batch work asks for it, never a request.
    """
    columns = index.open_columns(today, minimum_wage)
    parts: Iterator[tuple[slice | np.ndarray, np.ndarray]]
    if exhaustive:
        parts = (
            (slice(start, min(start + block, len(batch))), columns)
            for start in range(0, len(batch), block)
        )
    else:
        parts = (
            (part.rows, part.columns) for part in candidate_blocks(batch, index, columns, block)
        )

    def ranked(
        part: tuple[slice | np.ndarray, np.ndarray],
    ) -> tuple[slice | np.ndarray, np.ndarray, np.ndarray]:
        rows, cols = part
        top_ids, top_scores = _top_k(pair_scores(batch, rows, index, cols), index.ids[cols], k)
        return rows, top_ids, top_scores

    if workers <= 1:
        yield from map(ranked, parts)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ranking") as pool:
        pending: deque[Future[tuple[slice | np.ndarray, np.ndarray, np.ndarray]]] = deque()
        for part in parts:
            pending.append(pool.submit(ranked, part))
            if len(pending) >= 2 * workers:  # a few blocks ahead, not the whole batch
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def top_vacancies(
    batch: SeekerBatch,
    index: VacancyIndex,
    *,
    today: date,
    minimum_wage: Decimal,
    k: int = 10,
    block: int = DEFAULT_BLOCK,
    exhaustive: bool = False,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """The k best suitable vacancy ids (and scores) for every seeker of the batch."""
    all_ids = np.full((len(batch), k), -1, dtype=np.int64)
    all_scores = np.full((len(batch), k), -np.inf)
    for rows, ids, scores in iter_top_vacancies(
        batch,
        index,
        today=today,
        minimum_wage=minimum_wage,
        k=k,
        block=block,
        exhaustive=exhaustive,
        workers=workers,
    ):
        all_ids[rows], all_scores[rows] = ids, scores
    return all_ids, all_scores


# --- explained matches --------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One ranked pair, explained by the pure rules."""

    member_id: int
    vacancy_id: int
    score: float
    suitability: Suitability
    detail: Score


def _explain(
    seeker: SeekerFacts,
    vacancy: VacancyFacts,
    score: float,
    today: date,
    minimum_wage: Decimal,
    trade_occupations: Mapping[str, Sequence[str]],
    parameter_version: str | None,
) -> Match:
    return Match(
        member_id=seeker.member_id,
        vacancy_id=vacancy.vacancy_id,
        score=round(float(score), 4),
        suitability=check_suitability(
            seeker, vacancy, minimum_wage, today, parameter_version=parameter_version
        ),
        detail=score_vacancy(seeker, vacancy, trade_occupations),
    )


def rank_vacancies_for(
    seeker: SeekerFacts,
    index: VacancyIndex,
    *,
    today: date,
    minimum_wage: Decimal,
    k: int = 10,
    parameter_version: str | None = None,
) -> list[Match]:
    """A person's k best suitable vacancies, each explained (hard filters first, then score)."""
    batch = build_seeker_batch([seeker], index)
    ids, scores = top_vacancies(batch, index, today=today, minimum_wage=minimum_wage, k=k)
    by_id = {v.vacancy_id: v for v in index.facts}
    return [
        _explain(
            seeker,
            by_id[int(i)],
            s,
            today,
            minimum_wage,
            index.trade_occupations,
            parameter_version,
        )
        for i, s in zip(ids[0], scores[0], strict=True)
        if i >= 0
    ]


def rank_seekers_for(
    vacancy: VacancyFacts,
    seekers: Sequence[SeekerFacts],
    *,
    today: date,
    minimum_wage: Decimal,
    k: int = 10,
    trade_occupations: Mapping[str, Sequence[str]] | None = None,
    parameter_version: str | None = None,
    block: int = 4096,
) -> list[Match]:
    """The k registered people best suited to one vacancy, each explained."""
    index = build_vacancy_index([vacancy], trade_occupations)
    batch = build_seeker_batch(seekers, index)
    columns = index.open_columns(today, minimum_wage)
    scores = np.full(len(batch), -np.inf)
    if len(columns):
        for start in range(0, len(batch), block):
            rows = slice(start, min(start + block, len(batch)))
            scores[rows] = pair_scores(batch, rows, index, columns)[:, 0]
    top_ids, top_scores = _top_k(scores[None, :], batch.ids, k)
    by_id = {s.member_id: s for s in seekers}
    return [
        _explain(
            by_id[int(i)],
            vacancy,
            s,
            today,
            minimum_wage,
            index.trade_occupations,
            parameter_version,
        )
        for i, s in zip(top_ids[0], top_scores[0], strict=True)
        if i >= 0
    ]
