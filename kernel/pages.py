"""What every context's server-rendered pages share: rendering with the reader's language,
reading forms into the API's schemas, and showing a use case's problems on the form.

Pages call the same use cases as the API; this module only translates between a browser
form and those calls. The web shell (``workbridge.pages``) signs people in, puts a
``PageUser`` on each request and puts the catalogs (``Translator``) on the app state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from litestar import Request
from litestar.response import Redirect, Template
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from kernel.auth import Principal, Role
from kernel.errors import DomainError, InvalidInput, Problem
from kernel.messages import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE
from kernel.messages import LANGUAGES as LANGUAGES
from kernel.messages import N_ as N_  # the pages mark their strings with it
from kernel.messages import code_message, name_codes, schema_text
from kernel.messages import render as render_text
from kernel.national_id import mask

M = TypeVar("M", bound=BaseModel)


class Translator(Protocol):
    """The catalogs and Babel formats for one language (built by ``workbridge.pages.i18n``)."""

    locale: str

    def gettext(self, message: str, **values: Any) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str: ...
    def date(self, value: date | datetime | str | None) -> str: ...
    def datetime(self, value: datetime | None) -> str: ...
    def money(self, value: Decimal | str | int | None) -> str: ...
    def period(self, value: str | None) -> str: ...
    def phone(self, value: str | None) -> str: ...
    def number(self, value: int | Decimal | float | None) -> str: ...
    def percent(self, value: Decimal | float | str | None) -> str: ...


@dataclass(frozen=True)
class PageUser:
    """Who is signed in to the pages: the Principal services see, plus what the pages need."""

    principal: Principal
    display_name: str
    language: str
    csrf_token: str

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def office(self) -> str | None:
        return self.principal.office


def register_labels(labels: Mapping[str, str]) -> None:
    """Codes only pages show (their own states and headings) and their catalog messages."""
    name_codes(labels)


label_message = code_message


# The fields problems name, in words, for the list at the top of a form (each message also
# stands beside its own field). A field not named here is left out of the list's heading; its
# message says what it is about.
FIELD_WORDS: dict[str, str] = {
    "national_id": N_("ID number"),
    "name": N_("Name"),
    "display_name": N_("Full name"),
    "birth_date": N_("Date of birth"),
    "sex": N_("Sex"),
    "phone": N_("Phone"),
    "monthly_income": N_("Monthly income (yuan)"),
    "reservation_wage": N_("Hoped-for monthly wage (yuan)"),
    "hours_per_week": N_("Hours a week"),
    "max_commute_km": N_("Longest commute (km)"),
    "desired_occupations": N_("Wanted occupations (CSCO codes)"),
    "occupation": N_("Occupation"),
    "employer": N_("Employer"),
    "skills": N_("Skills"),
    "category": N_("Category"),
    "category_requested": N_("Category"),
    "members": N_("Household members"),
    "objections": N_("Objections"),
    "objection_id": N_("Objections"),
    "public_notice": N_("Public notice"),
    "appraisal": N_("Democratic appraisal"),
    "findings": N_("Findings"),
    "verdict": N_("Verdict"),
    "reason_code": N_("Kind of good reason"),
    "despite_vulnerability": N_("Why the sanction goes ahead despite what the review found"),
    "checked": N_("Totals checked"),
    "upheld": N_("Is the objection upheld?"),
    "passed": N_("Did the panel pass it?"),
    "visitors": N_("Visitors (names)"),
    "place": N_("Where it is posted"),
    "objector": N_("From (optional)"),
    "reason": N_("Reason"),
    "notes": N_("Notes"),
    "text": N_("Text"),
    "period": N_("Month"),
    "starts_on": N_("First day"),
    "ended_on": N_("Last day"),
    "reported_on": N_("Reported on"),
    "answered_on": N_("Answered on"),
    "received_on": N_("Received on"),
    "visited_on": N_("Visited on"),
    "held_on": N_("Held on"),
    "effective_from": N_("Takes effect on"),
    "on": N_("Date"),
    "channel": N_("Channel"),
    "answer": N_("Answer"),
    "office": N_("Office"),
    "role": N_("Role"),
    "username": N_("Username"),
    "password": N_("Password"),
    "provider_id": N_("Training provider number"),
    "file": N_("File"),
    "document_id": N_("Document"),
    "application_id": N_("Application"),
    "household_id": N_("Household"),
    "scheme": N_("Scheme"),
    "address": N_("Address"),
    "bank_account": N_("Bank account"),
    "relation": N_("Relation to the head"),
    "incomes": N_("Declared incomes"),
    "source": N_("Source of income"),
    "monthly_amount": N_("Monthly amount (yuan)"),
    "applied_on": N_("Applied on"),
    "work_capacity": N_("Work capacity"),
    "disability": N_("Disability"),
    "official_relative_note": N_("Which official, and how related"),
    "votes_for": N_("Votes for"),
    "votes_against": N_("Votes against"),
    "course_id": N_("Course"),
    "report_id": N_("Report number"),
    "sessions_attended": N_("Sessions attended"),
    "certificate_no": N_("Certificate number"),
    "vacancy_id": N_("Job"),
    "member_id": N_("Person"),
    "referral_id": N_("Offer"),
    "sanction_id": N_("Sanction"),
    # a list's page, order, format and filters (kernel.listing)
    "page": N_("Page"),
    "per": N_("Rows a page"),
    "sort": N_("Order"),
    "format": N_("Download"),
    "state": N_("State"),
    "kind": N_("Kind"),
    "community": N_("Community"),
    "township": N_("Township"),
}


def field_message(field: str | None) -> str | None:
    """``members.9.national_id`` is about an ID number; ``members.9`` about a member."""
    parts = [p for p in (field or "").split(".") if p and not p.isdigit()]
    return FIELD_WORDS.get(parts[-1]) if parts else None


def page_user(request: Request[Any, Any, Any]) -> PageUser | None:
    user = request.scope.get("state", {}).get("page_user")
    return user if isinstance(user, PageUser) else None


def translator(request: Request[Any, Any, Any]) -> Translator:
    user = page_user(request)
    language = user.language if user else request.cookies.get("wb_lang", DEFAULT_LANGUAGE)
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    return request.app.state.translators[language]


def _actor_words(request: Request[Any, Any, Any], label: str | None, t: Translator) -> str:
    names = request.app.state.get("actor_names")
    if names is None:
        return label or ""
    return names.words(label, t.gettext, request.app.state.engine)


def render(
    request: Request[Any, Any, Any], template: str, *, status: int = 200, **context: Any
) -> Template:
    """A page in the reader's language with the helpers every template uses."""
    t = translator(request)
    user = page_user(request)

    def label(code: str | None) -> str:
        message = label_message(code)
        if message is None:
            return (code or "").replace("_", " ")
        return t.gettext(message)

    return Template(
        template_name=template,
        status_code=status,
        media_type="text/html",  # also from handlers that may answer with a redirect
        context={
            "_": t.gettext,
            "msg": lambda text: render_text(text, t.gettext),
            "actor": lambda label: _actor_words(request, label, t),
            "ngettext": t.ngettext,
            "label": label,
            "field_label": lambda field: t.gettext(m) if (m := field_message(field)) else "",
            "fdate": t.date,
            "fdatetime": t.datetime,
            "fmoney": t.money,
            "fperiod": t.period,
            "fphone": t.phone,
            "fnum": t.number,
            "fpct": t.percent,
            "mask": mask,
            "locale": t.locale,
            "html_lang": "zh-CN" if t.locale == "zh_CN" else "en",
            "user": user,
            "csrf_token": user.csrf_token
            if user
            else request.scope.get("state", {}).get("login_csrf", ""),
            "path": request.url.path,
            "htmx": bool(request.headers.get("hx-request")),
            "training_day": _training_day(request),
            **context,
        },
    )


def _training_day(request: Request[Any, Any, Any]) -> date | None:
    """The date a training copy lives at (kernel.training_clock), for the banner every page
    carries; None on the real service."""
    from kernel.training_clock import TrainingClock

    clock = request.app.state.get("clock")
    return clock.today() if isinstance(clock, TrainingClock) else None


def see_other(path: str) -> Redirect:
    """After a form succeeds, send the browser to a page it can reload safely (303)."""
    return Redirect(path=path, status_code=303)


# --- forms -------------------------------------------------------------------------------


def values(form: Mapping[str, Any], name: str) -> list[str]:
    """All non-empty values of a field (checkbox groups and repeated fields give lists)."""
    raw = form.get(name)
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    found = [str(v).strip() for v in items if str(v).strip()]
    if any("\x00" in v for v in found):
        # Form fields reach SQL filters as they are (a username, an office): PostgreSQL would
        # refuse the NUL with an error, so the form is refused first.
        raise InvalidInput(Problem(name, "schema", "text must not contain NUL characters"))
    return found


def value(form: Mapping[str, Any], name: str) -> str | None:
    found = values(form, name)
    return found[0] if found else None


def words(form: Mapping[str, Any], name: str) -> list[str]:
    """A free-text list typed with commas, Chinese commas or spaces (skills, visitors)."""
    text = " ".join(values(form, name))
    for sep in (",", "，", "、", ";", "；"):
        text = text.replace(sep, " ")
    return [w for w in text.split() if w]


def checked(form: Mapping[str, Any], name: str) -> bool:
    return value(form, name) in ("on", "true", "1", "yes")


class Unanswered:
    """A question on a form left unanswered: never taken for either answer (``parse``)."""


UNANSWERED = Unanswered()


def yes_or_no(form: Mapping[str, Any], name: str) -> bool | Unanswered:
    """A yes/no question answered with radio buttons, neither chosen beforehand: no answer is
    reported beside its field, not taken for a no (or for a schema's default)."""
    return {"yes": True, "no": False}.get(value(form, name) or "", UNANSWERED)


def decimal_or_none(text: str | None) -> Decimal | str | None:
    """Leave a bad amount as text so the schema reports it next to its field."""
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def parse(schema: type[M], data: Mapping[str, Any]) -> M:
    """Validate a form as the API's schema; every problem comes back at once as InvalidInput."""
    problems = [
        Problem(name, "answer-chosen", "choose an answer")
        for name, given in data.items()
        if given is UNANSWERED
    ]
    given = {k: v for k, v in data.items() if v is not None and v is not UNANSWERED}
    try:
        parsed = schema.model_validate(given)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error.get("loc", ())) or None
            message = schema_text(str(error.get("msg", "invalid value")))
            problems.append(Problem(field, "schema", message))
        raise InvalidInput(problems) from exc
    if problems:
        raise InvalidInput(problems)
    return parsed


def attempt(session: Session, action: Callable[[], Any]) -> tuple[Any, list[Problem]]:
    """Run a use case; a DomainError becomes the list of problems to show on the form, and
    the session is rolled back so the page around the form is read afresh."""
    try:
        return action(), []
    except DomainError as exc:
        session.rollback()
        return None, exc.problems
