"""Pure matching rules: is a job (or course) suitable for a person, and how well does it fit?

No I/O. ``check_suitability`` is the safeguard of POLICY.md ("a referral counts only if it was
suitable: health, capacity, childcare, commute, wage at or above the local minimum, no strike")
and its result is what activation stores on a referral, so it lists every check with a
plain-language reason, passed or not. Scores only order suitable jobs: nothing in a score can
make a job unsuitable — a wage below the person's own hoped-for wage lowers the score but is
not a hard check, because the law's test is the local minimum wage, not the person's wish.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from kernel.clauses import helper, implements
from kernel.dates import age_on
from kernel.messages import N_, Text, as_data, say
from kernel.money import yuan_text
from matching.occupations import medium_group, minor_group, name_of

RULE_VERSION = "matching.suitability/1"
EARTH_RADIUS_KM = 6371.0088

SHIFTS = ("day", "evening", "night")
DEMAND_LEVEL = {"light": 0, "medium": 1, "heavy": 2}
# The heaviest demand each stated physical limit allows.
LIMIT_ALLOWS = {"none": 2, "no_heavy": 1, "light_only": 0}
SOURCES = ("public_welfare", "local_employer", "outside_county")
OUTSIDE_COUNTY = "outside_county"

# The codes above as words in the checks' sentences (kernel.messages).
CODE_WORDS = {
    "light": N_("light"),
    "medium": N_("medium-heavy"),
    "heavy": N_("heavy"),
    "day": N_("day"),
    "evening": N_("evening"),
    "night": N_("night"),
    "none": N_("no limit"),
    "no_heavy": N_("no heavy work"),
    "light_only": N_("light work only"),
    "partial": N_("partial"),
    "mild": N_("mild"),
    "severe": N_("severe"),
}


@helper
def word(code: str) -> Text:
    """A code of this module as a word for the reader (the code itself where none is known)."""
    return Text(CODE_WORDS.get(code, code))


CHECK_ORDER = (
    "capacity_health",
    "physical_limit",
    "commute",
    "hours",
    "shift",
    "minimum_wage",
    "labour_dispute",
    "vacancy_open",
)

# Score weights (they sum to 1). Occupation and skills say whether the person can do the job;
# distance and wage whether it is worth taking; training wishes say where the person wants to go.
WEIGHTS = {"occupation": 0.35, "skills": 0.25, "distance": 0.15, "wage": 0.15, "wished": 0.10}
COURSE_WEIGHTS = {"wished": 0.5, "occupation": 0.3, "distance": 0.2}


# --- facts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeekerFacts:
    """What matching needs to know about a job seeker (built from a SeekerProfile)."""

    member_id: int
    work_capacity: str = "full"  # full | partial
    disability: str = "none"  # none | mild | severe
    serious_illness: bool = False
    physical_limit: str = "none"  # none | no_heavy | light_only
    hours_per_week: int = 40  # hours the person is available
    shifts: frozenset[str] = frozenset({"day"})
    childcare: bool = False  # a childcare duty: day shifts only
    max_commute_km: float = 10.0
    community: str = ""
    lat: float | None = None
    lon: float | None = None
    accepts_outside_county: bool = False  # would consider 劳务输出 (work away from home)
    reservation_wage: Decimal = Decimal(0)  # the monthly wage the person hopes for
    desired_occupations: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    training_wishes: tuple[str, ...] = ()  # trade codes (policy parameter training.trades)


@dataclass(frozen=True)
class VacancyFacts:
    vacancy_id: int
    occupation_code: str
    title: str
    monthly_wage: Decimal
    hours_per_week: int
    shift: str  # day | evening | night
    physical_demand: str  # light | medium | heavy
    valid_until: date
    openings: int = 1
    skills: tuple[str, ...] = ()
    community: str = ""
    lat: float | None = None
    lon: float | None = None
    source: str = "local_employer"
    labour_dispute: bool = False
    employer: str = ""


@dataclass(frozen=True)
class CourseFacts:
    """A training course as matching sees it (activation builds these from training's courses;
    matching does not import training)."""

    course_id: int
    trade: str
    title: str
    physical_demand: str
    starts_on: date
    seats_left: int
    occupations: tuple[str, ...] = ()  # CSCO group prefixes the trade leads to
    community: str = ""
    lat: float | None = None
    lon: float | None = None


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One hard check. ``reason`` is a catalog message with the facts it rests on; the stored
    record keeps it both as the English sentence (``reason``) and as data (``said``), so it
    can be shown in the reader's language later (``kernel.messages.from_data``)."""

    name: str
    passed: bool
    reason: str | Text

    def as_dict(self) -> dict[str, Any]:
        said = self.reason if isinstance(self.reason, Text) else Text(self.reason)
        return {
            "name": self.name,
            "passed": self.passed,
            "reason": str(self.reason),
            "said": as_data(said),
        }


@dataclass(frozen=True)
class Suitability:
    """Every hard check with its reason; suitable only when all pass (POLICY.md safeguards)."""

    suitable: bool
    checks: tuple[Check, ...]
    member_id: int
    vacancy_id: int
    checked_on: date
    minimum_wage: Decimal
    parameter_version: str | None = None
    rule: str = RULE_VERSION

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record to store on a referral so the decision can be replayed."""
        return {
            "suitable": self.suitable,
            "rule": self.rule,
            "member_id": self.member_id,
            "vacancy_id": self.vacancy_id,
            "checked_on": self.checked_on.isoformat(),
            "minimum_wage": yuan_text(self.minimum_wage),
            "parameter_version": self.parameter_version,
            "failed": [c.name for c in self.failed],
            "checks": [c.as_dict() for c in self.checks],
        }


@dataclass(frozen=True)
class Score:
    total: float
    components: Mapping[str, float]
    fits: tuple[Text, ...] = field(default_factory=tuple)
    misfits: tuple[Text, ...] = field(default_factory=tuple)


# --- small helpers (shared with the vectorised ranking) -----------------------------------

_CJK_OR_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+")


@helper
def grams(texts: Iterable[str]) -> frozenset[str]:
    """Character bigrams of Chinese runs, whole words of Latin letters and digits.

    Job titles and skills are short Chinese phrases without spaces (电焊, 缝纫机操作), so an
    English tokenizer or embedding would see one opaque word; bigrams make 电子装配 and 电子
    元件装配 share 电子 and 装配. A one-character run counts as itself. Grams never cross the
    boundary between two tags.
    """
    out: set[str] = set()
    for text in texts:
        normal = unicodedata.normalize("NFKC", text).lower()
        for run in _CJK_OR_WORD.findall(normal):
            if run.isascii() or len(run) == 1:
                out.add(run)
            else:
                out.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(out)


@helper
def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Cosine of two sets (Ochiai): shared grams over the geometric mean of the sizes."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


@helper
def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lon)
    return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))


@helper
def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance from the angle between the two points' unit vectors (the same
    formula the vectorised ranking uses, so both agree)."""
    a, b = unit_vector(lat1, lon1), unit_vector(lat2, lon2)
    dot = max(-1.0, min(1.0, a[0] * b[0] + a[1] * b[1] + a[2] * b[2]))
    return EARTH_RADIUS_KM * math.acos(dot)


@implements("safeguard-suitable")
def health_demand_limit(seeker: SeekerFacts) -> tuple[int, list[Text]]:
    """The heaviest demand the person's capacity and health allow, and why it is limited.

    POLICY.md safeguards: duties follow capability — partial work capacity, a disability or a
    serious illness rules out heavy work.
    """
    why: list[Text] = []
    if seeker.work_capacity != "full":
        why.append(say("%(capacity)s work capacity", capacity=word(seeker.work_capacity)))
    if seeker.disability != "none":
        why.append(say("a %(degree)s disability", degree=word(seeker.disability)))
    if seeker.serious_illness:
        why.append(say("a serious illness"))
    return (1 if why else 2), why


@implements("safeguard-suitable")
def allowed_demand(seeker: SeekerFacts) -> int:
    """The heaviest demand allowed by both health and the stated physical limit."""
    return min(health_demand_limit(seeker)[0], LIMIT_ALLOWS[seeker.physical_limit])


@implements("safeguard-suitable")
def effective_shifts(seeker: SeekerFacts) -> frozenset[str]:
    """A childcare duty limits the person to day shifts whatever else they said."""
    return seeker.shifts & {"day"} if seeker.childcare else seeker.shifts


# --- hard checks --------------------------------------------------------------------------


def _capacity_check(seeker: SeekerFacts, demand: str) -> Check:
    limit, why = health_demand_limit(seeker)
    if DEMAND_LEVEL[demand] > limit:
        return Check(
            "capacity_health",
            False,
            say(
                "the work is %(demand)s; heavy work is ruled out by %(why)s",
                demand=word(demand),
                why=why,
            ),
        )
    if why:
        return Check(
            "capacity_health",
            True,
            say(
                "%(demand)s work is within the limits of %(why)s (no heavy work)",
                demand=word(demand),
                why=why,
            ),
        )
    return Check(
        "capacity_health",
        True,
        say("%(demand)s work; full capacity and no health limits", demand=word(demand)),
    )


def _physical_check(seeker: SeekerFacts, demand: str) -> Check:
    allowed = LIMIT_ALLOWS[seeker.physical_limit]
    if DEMAND_LEVEL[demand] > allowed:
        return Check(
            "physical_limit",
            False,
            say(
                "the work is %(demand)s; the person's physical limit is %(physical_limit)s",
                demand=word(demand),
                physical_limit=word(seeker.physical_limit),
            ),
        )
    return Check(
        "physical_limit",
        True,
        say(
            "%(demand)s work is within the physical limit (%(physical_limit)s)",
            demand=word(demand),
            physical_limit=word(seeker.physical_limit),
        ),
    )


def _commute_check(
    seeker: SeekerFacts,
    *,
    community: str,
    lat: float | None,
    lon: float | None,
    outside_county: bool,
) -> Check:
    if outside_county:
        if seeker.accepts_outside_county:
            return Check(
                "commute",
                True,
                "the job is away from home (劳务输出); the person said they would consider it",
            )
        return Check(
            "commute",
            False,
            "the job is outside the county (劳务输出); work away from home is offered only to "
            "people who said they would consider it (report 4 §二2: long hours, contract "
            "disputes and unpaid wages away from home)",
        )
    limit = seeker.max_commute_km
    if None not in (seeker.lat, seeker.lon, lat, lon):
        km = distance_km(seeker.lat, seeker.lon, lat, lon)  # type: ignore[arg-type]
        if km <= limit:
            return Check(
                "commute",
                True,
                say(
                    "about %(km)s km away, within %(limit)s km",
                    km=format(km, ".1f"),
                    limit=format(limit, "g"),
                ),
            )
        return Check(
            "commute",
            False,
            say(
                "about %(km)s km away, beyond the person's limit of %(limit)s km",
                km=format(km, ".1f"),
                limit=format(limit, "g"),
            ),
        )
    if community and community == seeker.community:
        return Check(
            "commute",
            True,
            say(
                "in the person's own community (%(community)s); no coordinates, so taken as near",
                community=community,
            ),
        )
    return Check(
        "commute",
        False,
        say(
            "distance unknown: the place is in %(place)s and the person lives in %(home)s; "
            "without coordinates it is assumed to be beyond the person's %(limit)s km limit "
            "until the distance is known",
            place=community or say("an unrecorded community"),
            home=seeker.community or say("an unrecorded community"),
            limit=format(limit, "g"),
        ),
    )


@implements("safeguard-suitable")
def check_suitability(
    seeker: SeekerFacts,
    vacancy: VacancyFacts,
    minimum_wage: Decimal,
    today: date,
    *,
    parameter_version: str | None = None,
) -> Suitability:
    """Every hard check of a job for a person (POLICY.md safeguards: a referral counts only if
    suitable — health, capacity, childcare, commute, wage at or above the local minimum, no
    strike). ``minimum_wage`` is the parameter activation.suitability.minimum_wage_monthly in
    force on ``today``; pass its version so the stored result can be replayed."""
    checks = [
        _capacity_check(seeker, vacancy.physical_demand),
        _physical_check(seeker, vacancy.physical_demand),
        _commute_check(
            seeker,
            community=vacancy.community,
            lat=vacancy.lat,
            lon=vacancy.lon,
            outside_county=vacancy.source == OUTSIDE_COUNTY,
        ),
    ]
    if vacancy.hours_per_week <= seeker.hours_per_week:
        checks.append(
            Check(
                "hours",
                True,
                say(
                    "%(hours)s hours a week, within the %(can_work)s the person can work",
                    hours=vacancy.hours_per_week,
                    can_work=seeker.hours_per_week,
                ),
            )
        )
    else:
        checks.append(
            Check(
                "hours",
                False,
                say(
                    "%(hours)s hours a week; the person can work %(can_work)s",
                    hours=vacancy.hours_per_week,
                    can_work=seeker.hours_per_week,
                ),
            )
        )
    if seeker.childcare and vacancy.shift != "day":
        checks.append(
            Check(
                "shift",
                False,
                say(
                    "%(shift)s shift; a childcare duty allows day shifts only",
                    shift=word(vacancy.shift),
                ),
            )
        )
    elif vacancy.shift not in seeker.shifts:
        available = [word(s) for s in SHIFTS if s in seeker.shifts] or say("none")
        checks.append(
            Check(
                "shift",
                False,
                say(
                    "%(shift)s shift; the person is available for: %(available)s",
                    shift=word(vacancy.shift),
                    available=available,
                ),
            )
        )
    else:
        checks.append(
            Check(
                "shift",
                True,
                say("%(shift)s shift, which the person can work", shift=word(vacancy.shift)),
            )
        )
    if vacancy.monthly_wage >= minimum_wage:
        checks.append(
            Check(
                "minimum_wage",
                True,
                say(
                    "pays %(monthly_wage)s yuan a month, at or above the local minimum of "
                    "%(minimum_wage)s",
                    monthly_wage=yuan_text(vacancy.monthly_wage),
                    minimum_wage=yuan_text(minimum_wage),
                ),
            )
        )
    else:
        checks.append(
            Check(
                "minimum_wage",
                False,
                say(
                    "pays %(monthly_wage)s yuan a month, below the local minimum of "
                    "%(minimum_wage)s",
                    monthly_wage=yuan_text(vacancy.monthly_wage),
                    minimum_wage=yuan_text(minimum_wage),
                ),
            )
        )
    if vacancy.labour_dispute:
        checks.append(
            Check(
                "labour_dispute",
                False,
                "the employer is in a strike or labour dispute; no one is sent there meanwhile",
            )
        )
    else:
        checks.append(Check("labour_dispute", True, "no strike or labour dispute recorded"))
    closed: list[Text] = []
    if vacancy.valid_until < today:
        closed.append(say("it expired on %(day)s", day=vacancy.valid_until.isoformat()))
    if vacancy.openings <= 0:
        closed.append(say("it has no openings left"))
    if closed:
        checks.append(
            Check("vacancy_open", False, say("the vacancy is closed: %(why)s", why=closed))
        )
    else:
        checks.append(
            Check(
                "vacancy_open",
                True,
                say(
                    "%(openings)s opening(s), valid until %(valid_until)s",
                    openings=vacancy.openings,
                    valid_until=vacancy.valid_until.isoformat(),
                ),
            )
        )
    return Suitability(
        suitable=all(c.passed for c in checks),
        checks=tuple(checks),
        member_id=seeker.member_id,
        vacancy_id=vacancy.vacancy_id,
        checked_on=today,
        minimum_wage=minimum_wage,
        parameter_version=parameter_version,
    )


# --- scores -------------------------------------------------------------------------------


@implements("matching")
def occupation_fit(desired: Sequence[str], code: str) -> float:
    """1 for a wanted occupation, 0.6 for the same minor group (the same trade), 0.3 for the
    same medium group (the same sector), else 0: CSCO codes nest by prefix."""
    if code in desired:
        return 1.0
    if any(minor_group(d) == minor_group(code) for d in desired):
        return 0.6
    if any(medium_group(d) == medium_group(code) for d in desired):
        return 0.3
    return 0.0


@implements("matching")
def wished_fit(wishes: Sequence[str], code: str, trade_occupations: Mapping[str, Sequence[str]]):
    """The trades the person wants to train in, and whether this job is in one of them."""
    for trade in wishes:
        if any(code.startswith(prefix) for prefix in trade_occupations.get(trade, ())):
            return 1.0, trade
    return 0.0, None


@implements("matching")
def wage_fit(wage: Decimal, reservation: Decimal) -> float:
    """1 at or above the hoped-for wage; falling to 0 at half of it. Never a hard check."""
    if reservation <= 0 or wage >= reservation:
        return 1.0
    return max(0.0, 1.0 - 2.0 * float((reservation - wage) / reservation))


@implements("matching")
def distance_fit(km: float | None, limit: float, same_community: bool) -> float:
    """1 next door, falling linearly to 0 at the person's limit; 0.5 when unknown."""
    if km is not None:
        if limit <= 0:
            return 1.0 if km == 0 else 0.0
        return max(0.0, 1.0 - km / limit)
    return 1.0 if same_community else 0.5


def _vacancy_distance(seeker: SeekerFacts, vacancy: VacancyFacts) -> float | None:
    if vacancy.source == OUTSIDE_COUNTY or None in (
        seeker.lat,
        seeker.lon,
        vacancy.lat,
        vacancy.lon,
    ):
        return None
    return distance_km(seeker.lat, seeker.lon, vacancy.lat, vacancy.lon)  # type: ignore[arg-type]


@implements("matching")
def score_vacancy(
    seeker: SeekerFacts,
    vacancy: VacancyFacts,
    trade_occupations: Mapping[str, Sequence[str]] | None = None,
) -> Score:
    """How well a (suitable) job fits, with what fits and what does not in plain words."""
    trade_occupations = trade_occupations or {}
    occupation = occupation_fit(seeker.desired_occupations, vacancy.occupation_code)
    wished, trade = wished_fit(seeker.training_wishes, vacancy.occupation_code, trade_occupations)
    seeker_grams = grams(seeker.skills)
    skills = overlap(seeker_grams, grams((vacancy.title, *vacancy.skills)))
    km = _vacancy_distance(seeker, vacancy)
    same = (
        vacancy.source != OUTSIDE_COUNTY
        and bool(vacancy.community)
        and (vacancy.community == seeker.community)
    )
    distance = distance_fit(km, seeker.max_commute_km, same)
    wage = wage_fit(vacancy.monthly_wage, seeker.reservation_wage)
    components = {
        "occupation": occupation,
        "skills": skills,
        "distance": distance,
        "wage": wage,
        "wished": wished,
    }
    total = sum(WEIGHTS[k] * v for k, v in components.items())
    fits: list[Text] = []
    misfits: list[Text] = []
    occ = f"{name_of(vacancy.occupation_code)} ({vacancy.occupation_code})"
    if occupation == 1.0:
        fits.append(say("%(occupation)s is an occupation the person asked for", occupation=occ))
    elif occupation > 0:
        same_trade = occupation == 0.6
        fits.append(
            say(
                "%(occupation)s is in the same trade as an occupation the person asked for",
                occupation=occ,
            )
            if same_trade
            else say(
                "%(occupation)s is in the same sector as an occupation the person asked for",
                occupation=occ,
            )
        )
    else:
        misfits.append(
            say("%(occupation)s is not among the occupations the person asked for", occupation=occ)
        )
    if trade:
        fits.append(
            say("it is work in the trade the person wants to train for (%(trade)s)", trade=trade)
        )
    vacancy_grams = grams((vacancy.title, *vacancy.skills))
    shared = [s for s in seeker.skills if grams((s,)) & vacancy_grams]
    if shared:
        fits.append(say("skills that fit: %(skills)s", skills="、".join(shared)))
    elif seeker.skills:
        misfits.append(say("none of the person's skills appear in the job"))
    if km is not None:
        (fits if distance >= 0.5 else misfits).append(_distance_words(km))
    elif vacancy.source == OUTSIDE_COUNTY:
        misfits.append(say("away from home (labour sent out of the county)"))
    elif same:
        fits.append(say("in the person's own community"))
    if seeker.reservation_wage > 0:
        pay = yuan_text(vacancy.monthly_wage)
        hoped = yuan_text(seeker.reservation_wage)
        if wage == 1.0:
            fits.append(
                say(
                    "pays %(pay)s yuan, at or above the %(hoped)s the person hoped for",
                    pay=pay,
                    hoped=hoped,
                )
            )
        else:
            misfits.append(
                say(
                    "pays %(pay)s yuan, below the %(hoped)s the person hoped for (this lowers "
                    "the score only; a job at or above the local minimum wage stays suitable)",
                    pay=pay,
                    hoped=hoped,
                )
            )
    return Score(total=total, components=components, fits=tuple(fits), misfits=tuple(misfits))


def _distance_words(km: float) -> Text:
    return say("about %(km)s km from home", km=f"{km:.1f}")


# --- courses ------------------------------------------------------------------------------


@implements("matching", "safeguard-suitable")
def course_checks(seeker: SeekerFacts, course: CourseFacts, today: date | None) -> list[Check]:
    """The hard checks of a course: the same health, physical and commute tests as a job (a
    person who cannot do heavy work is never offered coal mining, report 4 §五1's heaviest
    trade), plus seats left and not yet started."""
    checks = [
        _capacity_check(seeker, course.physical_demand),
        _physical_check(seeker, course.physical_demand),
        _commute_check(
            seeker,
            community=course.community,
            lat=course.lat,
            lon=course.lon,
            outside_county=False,
        ),
    ]
    if course.seats_left > 0:
        checks.append(
            Check("seats", True, say("%(seats_left)s seat(s) left", seats_left=course.seats_left))
        )
    else:
        checks.append(Check("seats", False, "the course is full"))
    if today is not None:
        if course.starts_on >= today:
            checks.append(
                Check(
                    "not_started",
                    True,
                    say("starts on %(starts_on)s", starts_on=course.starts_on.isoformat()),
                )
            )
        else:
            checks.append(
                Check(
                    "not_started",
                    False,
                    say("already started on %(starts_on)s", starts_on=course.starts_on.isoformat()),
                )
            )
    return checks


@dataclass(frozen=True)
class CourseMatch:
    course_id: int
    score: float
    checks: tuple[Check, ...]
    fits: tuple[Text, ...]
    misfits: tuple[Text, ...]


def _course_occupation_fit(desired: Sequence[str], prefixes: Sequence[str]) -> float:
    if any(d.startswith(p) for d in desired for p in prefixes):
        return 1.0
    if any(medium_group(d) == p[:4] for d in desired for p in prefixes):
        return 0.5
    return 0.0


@implements("matching")
def rank_courses(
    seeker: SeekerFacts, courses: Sequence[CourseFacts], *, today: date | None = None
) -> list[CourseMatch]:
    """The courses a person may be offered, best first; unsuitable courses are left out.

    Report 4 §五1: courses by the person's wishes (根据个人意愿) and by market demand; the
    hard checks come first so a course the person cannot safely do is never offered.
    """
    ranked: list[CourseMatch] = []
    for course in courses:
        checks = course_checks(seeker, course, today)
        if not all(c.passed for c in checks):
            continue
        wished = 1.0 if course.trade in seeker.training_wishes else 0.0
        occupation = _course_occupation_fit(seeker.desired_occupations, course.occupations)
        km = None
        if None not in (seeker.lat, seeker.lon, course.lat, course.lon):
            km = distance_km(seeker.lat, seeker.lon, course.lat, course.lon)  # type: ignore[arg-type]
        same = bool(course.community) and course.community == seeker.community
        distance = distance_fit(km, seeker.max_commute_km, same)
        score = (
            COURSE_WEIGHTS["wished"] * wished
            + COURSE_WEIGHTS["occupation"] * occupation
            + COURSE_WEIGHTS["distance"] * distance
        )
        fits: list[Text] = []
        misfits: list[Text] = []
        if wished:
            fits.append(say("%(trade)s is a trade the person wants to learn", trade=course.trade))
        else:
            misfits.append(
                say("%(trade)s is not a trade the person wants to learn", trade=course.trade)
            )
        if occupation:
            fits.append(say("it leads to work the person asked for"))
        if km is not None:
            (fits if distance >= 0.5 else misfits).append(_distance_words(km))
        ranked.append(
            CourseMatch(course.course_id, score, tuple(checks), tuple(fits), tuple(misfits))
        )
    ranked.sort(key=lambda m: (-m.score, m.course_id))
    return ranked


# --- priority groups for scarce places ----------------------------------------------------


@implements("matching")
def is_4050(
    sex: str, birth_date: date, lost_job: bool, on: date, *, female_min_age: int, male_min_age: int
) -> bool:
    """4050人员 (POLICY.md glossary): women from 40 and men from 50 who lost their jobs; the
    ages are parameters (matching.priority.*_min_age)."""
    if not lost_job:
        return False
    threshold = female_min_age if sex == "female" else male_min_age
    return age_on(birth_date, on) >= threshold


@implements("matching")
def is_long_unemployed(unemployed_since: date | None, on: date, *, months: int) -> bool:
    """Out of work for at least ``months`` whole months (parameter
    matching.priority.long_unemployed_months)."""
    if unemployed_since is None:
        return False
    elapsed = (on.year - unemployed_since.year) * 12 + on.month - unemployed_since.month
    if on.day < unemployed_since.day:
        elapsed -= 1
    return elapsed >= months
