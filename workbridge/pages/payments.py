"""Payment-run pages: start a monthly run, watch it by HTMX polling, check how its figures come
about, have a second officer sign it off, download the bank file.

The officer who signs off reads, on the run's page, how the cases in the run's range became
ledger lines and bank rows, each difference with its count and reason, and the month set beside
the month before (``benefits.payment_review``); the lines themselves are a list that pages,
sorts, filters and exports (``/app/payments/runs/{id}/lines``).

The pages talk to a small port, ``PaymentRuns``; ``BenefitsPayments`` adapts it to the use
cases of ``benefits.payments`` that the API uses too. Tests can put a stand-in on
``app.state.payment_runs``; one without ``explain`` shows the run without its explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Protocol

from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlalchemy import Select

from benefits import bank_file as bank_csv
from benefits import payment_review, payments
from benefits.models import PaymentRun
from benefits.payment_review import LedgerRow, RunExplanation
from kernel.auth import Role, requires
from kernel.context import ServiceContext
from kernel.errors import Problem
from kernel.listing import Column, Listing, one_of, query_of
from kernel.money import from_fen
from kernel.pages import N_, attempt, register_labels, render, see_other, translator, value
from kernel.visibility import Access
from kernel.web import Ctx, PathId, get, post

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
OFFICER = requires(Role.BENEFIT_OFFICER)

register_labels(
    {
        "queued": N_("queued"),
        "in_progress": N_("in progress"),
        "completed": N_("completed"),
        "failed": N_("failed"),
        # the ledger list's filters (payment_review.SHOWS)
        "show:all": N_("all lines"),
        "show:zero": N_("lines of zero"),
        "show:no_account": N_("paid, without a bank account"),
        "show:new": N_("new this month"),
        "show:stopped": N_("stopped"),
        "show:changed": N_("amount changed"),
        "show:no_line": N_("cases with no line"),
    }
)


@dataclass(frozen=True)
class RunView:
    """What the pages show of a run, whatever the payments context stores."""

    id: int
    period: str
    state: str  # queued | in_progress | completed | failed
    cases_total: int
    cases_done: int
    amount: Decimal
    started_at: datetime | None
    finished_at: datetime | None
    has_bank_file: bool  # finished and signed off by a second officer
    started_by: str = ""
    signed_off_by: str | None = None
    signed_off_at: datetime | None = None
    transfers: int = 0  # rows the bank file will hold
    zero_lines: int = 0  # lines that pay nothing this month
    without_account: int = 0  # paid lines held back: the household has no bank account

    @property
    def awaits_sign_off(self) -> bool:
        return self.state == "completed" and self.signed_off_by is None

    @property
    def paid_lines(self) -> int:
        return self.transfers + self.without_account

    @property
    def running(self) -> bool:
        return self.state in ("queued", "in_progress")

    @property
    def percent(self) -> int:
        return int(self.cases_done * 100 / self.cases_total) if self.cases_total else 0


class PaymentRuns(Protocol):
    def start(self, ctx: ServiceContext, period: str) -> RunView: ...
    def runs(self, ctx: ServiceContext) -> list[RunView]: ...
    def run(self, ctx: ServiceContext, run_id: PathId) -> RunView: ...
    def bank_file(self, ctx: ServiceContext, run_id: PathId) -> tuple[str, bytes]: ...
    def sign_off(self, ctx: ServiceContext, run_id: PathId) -> RunView: ...
    def explain(self, ctx: ServiceContext, run_id: PathId) -> RunExplanation | None:
        """How the finished run's figures come about; None while it is going."""
        ...

    def ledger(self, ctx: ServiceContext, run_id: PathId, show: str) -> Select[Any]:
        """The query of the run's ledger list, filtered by ``show`` (``payment_review.SHOWS``)."""
        ...


def _view(run: PaymentRun) -> RunView:
    """A run of the payments context as the pages show it (progress by the case-ID range)."""
    span = max(run.last_case_id - run.first_case_id + 1, 0)
    done = span if run.state == payments.FINISHED else round(payments.run_progress(run) * span)
    return RunView(
        id=run.id or 0,
        period=run.period,
        state="completed" if run.state == payments.FINISHED else "in_progress",
        cases_total=span,
        cases_done=done,
        amount=from_fen(run.total_fen),
        started_at=run.started_at,
        finished_at=run.finished_at,
        has_bank_file=run.state == payments.FINISHED and run.signed_off_by is not None,
        started_by=run.started_by,
        signed_off_by=run.signed_off_by,
        signed_off_at=run.signed_off_at,
        transfers=run.paid_lines - run.without_account,
        zero_lines=run.zero_lines,
        without_account=run.without_account,
    )


class BenefitsPayments:
    """The pages' port onto benefits.payments: the same use cases as the API's."""

    def __init__(self, state: Any) -> None:
        self.state = state

    def _runner(self, ctx: ServiceContext) -> payments.Runner:
        return payments.Runner(
            engine=self.state.engine,
            policy=self.state.policy,
            clock=self.state.clock,
            zone=self.state.settings.zone,
            actor=ctx.actor,
        )

    def start(self, ctx: ServiceContext, period: str) -> RunView:
        runner = self._runner(ctx)
        started = payments.begin(runner, period)
        if started.lock is not None:
            payments.run_in_background(runner, started)
        return _view(started.run)

    def runs(self, ctx: ServiceContext) -> list[RunView]:
        # One run a month: a county's whole history is a few hundred rows at most.
        return [_view(r) for r in payments.list_runs(ctx.session, 10_000, 0)]

    def run(self, ctx: ServiceContext, run_id: int) -> RunView:
        return _view(payments.get_run(ctx.session, run_id))

    def sign_off(self, ctx: ServiceContext, run_id: int) -> RunView:
        return _view(payments.sign_off(ctx, run_id))

    def explain(self, ctx: ServiceContext, run_id: int) -> RunExplanation | None:
        run = payments.get_run(ctx.session, run_id)
        if run.state != payments.FINISHED:
            return None  # a run still going has only part of its ledger
        return payment_review.explain(ctx.session, run)

    def ledger(self, ctx: ServiceContext, run_id: int, show: str) -> Select[Any]:
        return payment_review.ledger_query(payments.get_run(ctx.session, run_id), show)

    def bank_file(self, ctx: ServiceContext, run_id: int) -> tuple[str, bytes]:
        run = payments.get_run(ctx.session, run_id)
        payments.require_released(run)
        with bank_csv.spooled(ctx.session, run.period) as spool:
            content = spool.read()
        return bank_csv.file_name(run.period), content


def payment_runs(request: Request[Any, Any, Any]) -> PaymentRuns:
    """The port on the app state (tests put a stand-in there), else the real use cases."""
    port = getattr(request.app.state, "payment_runs", None)
    return port if port is not None else BenefitsPayments(request.app.state)


def _port(request: Request[Any, Any, Any]) -> PaymentRuns:
    return payment_runs(request)


RUNS: Listing[RunView] = Listing(
    "payment-runs",
    N_("Payment runs"),
    [
        Column("period", N_("Month"), lambda r: r.period, order=lambda r: r.period),
        Column("state", N_("State"), lambda r: r.state, order=lambda r: r.state, code=True),
        Column("cases", N_("Cases"), lambda r: r.cases_total, order=lambda r: r.cases_total),
        Column("amount", N_("Amount"), lambda r: r.amount, order=lambda r: r.amount),
        Column("started_at", N_("Started"), lambda r: r.started_at, order=lambda r: r.started_at),
        Column("signed_off_at", N_("Signed off"), lambda r: r.signed_off_at),
    ],
    sort="period",
    descending=True,
)


def _runs_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    *,
    status: int = 200,
    period: str | None = None,
    problems: list[Problem] | None = None,
) -> Template | Response[bytes]:
    asked = RUNS.ask(query_of(request))
    every = payment_runs(request).runs(ctx)
    if asked.format:
        return RUNS.export(RUNS.all_of_rows(every, asked), asked, translator(request).gettext)
    return render(
        request,
        "shell/payments.html",
        status=status,
        page=RUNS.page_of_rows(every, asked),
        period=period or ctx.today.strftime("%Y-%m"),
        problems=problems or [],
    )


@get("/payments", access=Access.COUNTY, guards=[OFFICER])
def runs(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[bytes]:
    """Every month's run, newest first, a page at a time and exportable."""
    return _runs_page(request, ctx)


@post("/payments/runs", access=Access.COUNTY, guards=[OFFICER])
def start(request: Request[Any, Any, Any], ctx: Ctx, data: Form) -> Any:
    port = _port(request)
    period = value(data, "period") or ""
    run, problems = attempt(ctx.session, lambda: port.start(ctx, period))
    if problems:
        return _runs_page(request, ctx, status=422, period=period, problems=problems)
    return see_other(f"/app/payments/runs/{run.id}")


def _explanation(port: PaymentRuns, ctx: Ctx, shown: RunView) -> RunExplanation | None:
    """The finished run explained, where the port can tell (a stand-in may not)."""
    explain = getattr(port, "explain", None)
    if explain is None or shown.state != "completed":
        return None
    found: RunExplanation | None = explain(ctx, shown.id)
    return found


def _run_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    run_id: int,
    template: str = "shell/payment_run.html",
    problems: list[Problem] | None = None,
) -> Template:
    port = _port(request)
    shown = port.run(ctx, run_id)
    return render(
        request,
        template,
        status=422 if problems else 200,
        run=shown,
        explanation=_explanation(port, ctx, shown),
        # four eyes: whoever started the run sees that it waits for someone else
        may_sign=shown.awaits_sign_off and shown.started_by != ctx.actor.label,
        problems=problems or [],
    )


@get("/payments/runs/{run_id:int}", access=Access.COUNTY, guards=[OFFICER])
def run(request: Request[Any, Any, Any], ctx: Ctx, run_id: PathId) -> Template:
    return _run_page(request, ctx, run_id)


@get("/payments/runs/{run_id:int}/progress", access=Access.COUNTY, guards=[OFFICER])
def progress(request: Request[Any, Any, Any], ctx: Ctx, run_id: PathId) -> Template:
    """Polled by HTMX every two seconds while the run is going; stops polling when done."""
    return _run_page(request, ctx, run_id, "shell/_payment_progress.html")


@post("/payments/runs/{run_id:int}/sign-off", access=Access.COUNTY, guards=[OFFICER])
def sign_off(request: Request[Any, Any, Any], ctx: Ctx, run_id: PathId, data: Form) -> Any:
    """The second officer releases the bank file, having ticked that the totals were checked:
    what goes to the bank cannot be called back from here."""
    if value(data, "checked") != "yes":
        problem = Problem(
            "checked",
            "totals-checked",
            "tick that you have checked the totals before releasing the bank file",
        )
        return _run_page(request, ctx, run_id, problems=[problem])
    _, problems = attempt(ctx.session, lambda: _port(request).sign_off(ctx, run_id))
    if problems:
        return _run_page(request, ctx, run_id, problems=problems)
    return see_other(f"/app/payments/runs/{run_id}")


@get("/payments/runs/{run_id:int}/bank-file", access=Access.COUNTY, guards=[OFFICER])
def bank_file(request: Request[Any, Any, Any], ctx: Ctx, run_id: PathId) -> Response[bytes]:
    name, content = _port(request).bank_file(ctx, run_id)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


LEDGER: Listing[LedgerRow] = Listing(
    "payment-lines",
    N_("Payment lines"),
    [
        Column("case_id", N_("Case"), lambda r: r.case_id, payment_review.ORDER["case_id"]),
        Column("payee", N_("Payee"), lambda r: r.payee_name, payment_review.ORDER["payee"]),
        Column("account", N_("Bank account"), lambda r: r.account or ""),
        Column(
            "previous", N_("Last month"), lambda r: r.previous, payment_review.ORDER["previous"]
        ),
        Column("amount", N_("This month"), lambda r: r.amount, payment_review.ORDER["amount"]),
        Column(
            "difference",
            N_("Difference"),
            lambda r: r.difference,
            payment_review.ORDER["difference"],
        ),
        Column("change", N_("Change"), lambda r: r.change, code=True),
        Column("why", N_("Why"), lambda r: r.why or "", code=True),
    ],
    sort="case_id",
    filters=("show",),
    tiebreak=payment_review.ORDER["case_id"],
)


@get("/payments/runs/{run_id:int}/lines", access=Access.COUNTY, guards=[OFFICER])
def lines(request: Request[Any, Any, Any], ctx: Ctx, run_id: PathId) -> Template | Response[bytes]:
    """The run's ledger a page at a time, beside last month's: what the officer who signs off
    opens from a figure of the summary to see the cases behind it, or downloads whole."""
    asked = LEDGER.ask(query_of(request))
    show = asked.filters.get("show", "all")
    one_of(show, payment_review.SHOWS, "show")
    port = _port(request)
    shown = port.run(ctx, run_id)
    query = port.ledger(ctx, run_id, show)
    if asked.format:
        rows = [
            payment_review.ledger_row(r) for r in LEDGER.all_of_query(ctx.session, query, asked)
        ]
        stem = f"payment-lines-{shown.period}-{show}"
        return LEDGER.export(rows, asked, translator(request).gettext, stem=stem)
    page = LEDGER.page_of_query(ctx.session, query, asked)
    return render(
        request,
        "shell/payment_lines.html",
        run=shown,
        explanation=_explanation(port, ctx, shown),
        page=replace(page, rows=[payment_review.ledger_row(r) for r in page.rows]),
        show=show,
        shows=payment_review.SHOWS,
    )


HANDLERS = [runs, start, run, progress, sign_off, bank_file, lines]
