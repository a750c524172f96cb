"""Payment-run pages: start a monthly run, watch it by HTMX polling, download the bank file.

The pages talk to a small port, ``PaymentRuns``. ``BenefitsPayments`` adapts it to the use
cases of ``benefits.payments`` (built on another branch: ``start_run``, ``list_runs``,
``get_run``, ``bank_file``); where that module is absent the pages say so and change nothing.
Tests and other adapters can put their own port on ``app.state.payment_runs``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Protocol

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Template

from kernel.auth import Role, requires
from kernel.context import ServiceContext
from kernel.errors import NotFound, Problem
from kernel.pages import N_, attempt, register_labels, render, see_other, value
from kernel.web import Ctx

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
OFFICER = requires(Role.BENEFIT_OFFICER)

register_labels(
    {
        "queued": N_("queued"),
        "in_progress": N_("in progress"),
        "completed": N_("completed"),
        "failed": N_("failed"),
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
    has_bank_file: bool

    @property
    def running(self) -> bool:
        return self.state in ("queued", "in_progress")

    @property
    def percent(self) -> int:
        return int(self.cases_done * 100 / self.cases_total) if self.cases_total else 0


class PaymentRuns(Protocol):
    def start(self, ctx: ServiceContext, period: str) -> RunView: ...
    def runs(self, ctx: ServiceContext) -> list[RunView]: ...
    def run(self, ctx: ServiceContext, run_id: FromPath[int]) -> RunView: ...
    def bank_file(self, ctx: ServiceContext, run_id: FromPath[int]) -> tuple[str, bytes]: ...


def _view(run: Any) -> RunView:
    """Read a run from the payments context by attribute names, tolerating either fen or yuan."""
    amount = getattr(run, "total_amount", None)
    if amount is None and getattr(run, "total_amount_fen", None) is not None:
        amount = Decimal(run.total_amount_fen) / 100
    return RunView(
        id=run.id,
        period=str(run.period),
        state=str(getattr(run, "state", getattr(run, "status", "queued"))),
        cases_total=int(getattr(run, "cases_total", 0) or 0),
        cases_done=int(getattr(run, "cases_done", 0) or 0),
        amount=Decimal(str(amount or 0)),
        started_at=getattr(run, "started_at", None),
        finished_at=getattr(run, "finished_at", None),
        has_bank_file=bool(
            getattr(run, "bank_file_name", None) or getattr(run, "has_bank_file", 0)
        ),
    )


class BenefitsPayments:
    """The adapter to ``benefits.payments`` (point the four calls at the real names there)."""

    def __init__(self, module: Any) -> None:
        self.m = module

    def start(self, ctx: ServiceContext, period: str) -> RunView:
        return _view(self.m.start_run(ctx, period))

    def runs(self, ctx: ServiceContext) -> list[RunView]:
        return [_view(r) for r in self.m.list_runs(ctx.session)]

    def run(self, ctx: ServiceContext, run_id: FromPath[int]) -> RunView:
        return _view(self.m.get_run(ctx.session, run_id))

    def bank_file(self, ctx: ServiceContext, run_id: FromPath[int]) -> tuple[str, bytes]:
        return self.m.bank_file(ctx.session, run_id)


def payment_runs(request: Request[Any, Any, Any]) -> PaymentRuns | None:
    port = getattr(request.app.state, "payment_runs", None)
    if port is not None:
        return port
    try:
        module = importlib.import_module("benefits.payments")
    except ImportError:
        return None
    needed = ("start_run", "list_runs", "get_run", "bank_file")
    return BenefitsPayments(module) if all(hasattr(module, n) for n in needed) else None


def _port(request: Request[Any, Any, Any]) -> PaymentRuns:
    port = payment_runs(request)
    if port is None:
        raise NotFound(Problem(None, "payments", "payment runs are not part of this build"))
    return port


@get("/payments", guards=[OFFICER], sync_to_thread=True)
def runs(request: Request[Any, Any, Any], ctx: Ctx) -> Template:
    port = payment_runs(request)
    return render(
        request,
        "shell/payments.html",
        available=port is not None,
        runs=port.runs(ctx) if port else [],
        period=ctx.today.strftime("%Y-%m"),
        problems=[],
    )


@post("/payments/runs", guards=[OFFICER], sync_to_thread=True)
def start(request: Request[Any, Any, Any], ctx: Ctx, data: Form) -> Any:
    port = _port(request)
    period = value(data, "period") or ""
    run, problems = attempt(ctx.session, lambda: port.start(ctx, period))
    if problems:
        return render(
            request,
            "shell/payments.html",
            status=422,
            available=True,
            runs=port.runs(ctx),
            period=period,
            problems=problems,
        )
    return see_other(f"/app/payments/runs/{run.id}")


@get("/payments/runs/{run_id:int}", guards=[OFFICER], sync_to_thread=True)
def run(request: Request[Any, Any, Any], ctx: Ctx, run_id: FromPath[int]) -> Template:
    return render(request, "shell/payment_run.html", run=_port(request).run(ctx, run_id))


@get("/payments/runs/{run_id:int}/progress", guards=[OFFICER], sync_to_thread=True)
def progress(request: Request[Any, Any, Any], ctx: Ctx, run_id: FromPath[int]) -> Template:
    """Polled by HTMX every two seconds while the run is going; stops polling when done."""
    return render(request, "shell/_payment_progress.html", run=_port(request).run(ctx, run_id))


@get("/payments/runs/{run_id:int}/bank-file", guards=[OFFICER], sync_to_thread=True)
def bank_file(request: Request[Any, Any, Any], ctx: Ctx, run_id: FromPath[int]) -> Response[bytes]:
    name, content = _port(request).bank_file(ctx, run_id)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


HANDLERS = [runs, start, run, progress, bank_file]
