"""The administrator's pages: the accounts of everyone who signs in, each account's upkeep
(role, office, language, password, lock, disabling), and the audit trail.

An office changes staff often: a counsellor moves township, a temporary officer leaves, someone
locks themselves out on a Monday morning. Each of those was a database edit before (issue 12);
here each is a form, and each change is written to the audit trail in the same transaction,
with what it was before and after, so an oversight body can see who gave whom which rights.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template
from sqlalchemy import or_
from sqlmodel import col, select

from kernel import audit
from kernel.accounts import (
    AccountChange,
    AccountError,
    account_state,
    binding_problems,
    change_account,
    create_account,
    disable_account,
    enable_account,
    password_problem,
    reset_password,
    unlock_account,
)
from kernel.auth import Role, requires
from kernel.errors import InvalidInput, NotFound, Problem, missing
from kernel.listing import Column, Listing, one_of, query_of
from kernel.messages import words
from kernel.models import AuditRecord, UserAccount
from kernel.pages import N_, register_labels, render, see_other, translator, value
from kernel.types import ascii_digits
from kernel.visibility import Access
from kernel.web import Ctx, PathId, get, post
from training.services import provider_exists
from workbridge.pages.audit_words import action_words, entity_words

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
ADMIN = requires(Role.ADMIN)
ROLES = [r.value for r in Role]
STATES = ("active", "locked", "disabled")

register_labels(
    {
        "account_active": N_("active"),
        "account_locked": N_("locked"),
        "account_disabled": N_("disabled"),
    }
)
DONE = {
    "changed": N_("The account is changed. The new rights apply from its next page."),
    "password_reset": N_("The password is changed and the account's open sessions ended."),
    "unlocked": N_("The account is unlocked."),
    "disabled": N_("The account is disabled and its open sessions ended."),
    "enabled": N_("The account can sign in again."),
}


# --- the accounts list -------------------------------------------------------------------

ACCOUNTS: Listing[UserAccount] = Listing(
    "accounts",
    N_("Accounts"),
    [
        Column("username", N_("Username"), lambda a: a.username, col(UserAccount.username)),
        Column(
            "display_name", N_("Full name"), lambda a: a.display_name, col(UserAccount.display_name)
        ),
        Column("role", N_("Role"), lambda a: a.role, col(UserAccount.role), code=True),
        Column("office", N_("Office"), lambda a: a.office or "", col(UserAccount.office)),
        Column("provider_id", N_("Training provider"), lambda a: a.provider_id),
        Column(
            "last_sign_in_at",
            N_("Last sign-in"),
            lambda a: a.last_sign_in_at,
            col(UserAccount.last_sign_in_at),
        ),
        Column("locked_until", N_("Locked until"), lambda a: a.locked_until),
        Column(
            "disabled_at", N_("Disabled"), lambda a: a.disabled_at, col(UserAccount.disabled_at)
        ),
    ],
    sort="username",
    filters=("role", "state", "q"),
    tiebreak=col(UserAccount.id),
)


def _accounts_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    *,
    status: int = 200,
    problems: list[Problem] | None = None,
    form: dict[str, Any] | None = None,
) -> Template | Response[bytes]:
    asked = ACCOUNTS.ask(query_of(request))
    role, state, q = (asked.filters.get(k) for k in ("role", "state", "q"))
    one_of(role, ROLES, "role")
    one_of(state, STATES, "state")
    query = select(UserAccount)
    if role:
        query = query.where(UserAccount.role == role)
    if q:
        query = query.where(
            or_(col(UserAccount.username).contains(q), col(UserAccount.display_name).contains(q))
        )
    if state == "disabled":
        query = query.where(col(UserAccount.disabled_at).is_not(None))
    elif state == "locked":
        query = query.where(
            col(UserAccount.disabled_at).is_(None), col(UserAccount.locked_until) > ctx.now
        )
    elif state == "active":
        query = query.where(
            col(UserAccount.disabled_at).is_(None),
            or_(col(UserAccount.locked_until).is_(None), col(UserAccount.locked_until) <= ctx.now),
        )
    if asked.format:
        rows = ACCOUNTS.all_of_query(ctx.session, query, asked)
        return ACCOUNTS.export(rows, asked, translator(request).gettext)
    return render(
        request,
        "shell/accounts.html",
        status=status,
        page=ACCOUNTS.page_of_query(ctx.session, query, asked),
        state_of=lambda a: account_state(a, ctx.now),
        role=role,
        state=state,
        q=q or "",
        states=STATES,
        roles=ROLES,
        problems=problems or [],
        form=form or {},
        created=request.query_params.get("created"),
    )


@get("/admin/accounts", access=Access.ANYONE, guards=[ADMIN])
def accounts(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[bytes]:
    return _accounts_page(request, ctx)


def _provider(data: dict[str, Any], ctx: Ctx, problems: list[Problem]) -> int | None:
    text = value(data, "provider_id")
    provider_id = int(text) if text and ascii_digits(text) and len(text) < 10 else None
    if text and (provider_id is None or not provider_exists(ctx.session, provider_id)):
        problems.append(missing("provider_id", text))
    return provider_id


def _role(data: dict[str, Any], problems: list[Problem]) -> Role | None:
    text = value(data, "role") or ""
    if text not in ROLES:
        problems.append(Problem("role", "role-chosen", "choose a role"))
        return None
    return Role(text)


@post("/admin/accounts", access=Access.ANYONE, guards=[ADMIN])
def add_account(request: Request[Any, Any, Any], ctx: Ctx, data: Form) -> Any:
    """Every problem with the form at once: unknown provider, bad role, short password..."""
    problems: list[Problem] = []
    provider_id = _provider(data, ctx, problems)
    role = _role(data, problems)
    if role is not None:
        try:
            account = create_account(
                ctx.session,
                username=value(data, "username") or "",
                password=str(data.get("password") or ""),
                role=role,
                now=ctx.now,
                display_name=value(data, "display_name"),
                office=value(data, "office"),
                provider_id=provider_id,
                language=value(data, "language") or "zh_CN",
            )
        except AccountError as exc:
            problems += exc.problems
    if not problems:
        _audit(ctx, account, "created", {"role": account.role, "office": account.office})
        ctx.session.commit()
        return see_other(f"/app/admin/accounts?created={account.username}")
    ctx.session.rollback()
    form = {k: v for k, v in data.items() if k != "password"}
    return _accounts_page(request, ctx, status=422, problems=problems, form=form)


# --- one account -------------------------------------------------------------------------


def _account(ctx: Ctx, account_id: int) -> UserAccount:
    account = ctx.session.get(UserAccount, account_id)
    if account is None:
        raise NotFound(missing("account_id", account_id))
    return account


def _audit(ctx: Ctx, account: UserAccount, action: str, details: dict[str, Any]) -> None:
    audit.record(
        ctx.session,
        actor=ctx.actor,
        at=ctx.now,
        entity="user_account",
        entity_id=account.id or 0,
        action=action,
        details={"username": account.username, **details},
    )


def _account_page(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    account: UserAccount,
    *,
    problems: list[Problem] | None = None,
    form_name: str | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    history = ctx.session.exec(
        select(AuditRecord)
        .where(AuditRecord.entity == "user_account", AuditRecord.entity_id == str(account.id))
        .order_by(col(AuditRecord.at).desc(), col(AuditRecord.id).desc())
        .limit(50)
    ).all()
    done = request.query_params.get("done")
    gettext = translator(request).gettext
    return render(
        request,
        "shell/account.html",
        status=422 if problems else 200,
        account=account,
        state=account_state(account, ctx.now),
        oneself=ctx.actor.kind == "user" and ctx.actor.id == account.id,
        roles=ROLES,
        history=history,
        done=DONE.get(done or ""),
        details=_details,
        reason_words=words,
        action_words=lambda code: action_words(code, gettext),
        problems=problems or [],
        form_name=form_name,
        form=form or {},
    )


@get("/admin/accounts/{account_id:int}", access=Access.ANYONE, guards=[ADMIN])
def account_page(request: Request[Any, Any, Any], ctx: Ctx, account_id: PathId) -> Template:
    return _account_page(request, ctx, _account(ctx, account_id))


def _done(account: UserAccount, what: str) -> Any:
    return see_other(f"/app/admin/accounts/{account.id}?done={what}")


def _refused(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    account_id: int,
    problems: list[Problem],
    form_name: str,
    data: dict[str, Any],
) -> Template:
    ctx.session.rollback()
    form = {k: v for k, v in data.items() if k not in ("password", "csrf_token")}
    return _account_page(
        request,
        ctx,
        _account(ctx, account_id),
        problems=problems,
        form_name=form_name,
        form=form,
    )


@post("/admin/accounts/{account_id:int}", access=Access.ANYONE, guards=[ADMIN])
def change(request: Request[Any, Any, Any], ctx: Ctx, account_id: PathId, data: Form) -> Any:
    """Name, role, office, provider and language; what changed is audited before and after."""
    account = _account(ctx, account_id)
    problems: list[Problem] = []
    provider_id = _provider(data, ctx, problems)
    role = _role(data, problems)
    changed: dict[str, tuple[object, object]] = {}
    if role is not None:
        try:
            changed = change_account(
                ctx.session,
                account,
                AccountChange(
                    display_name=value(data, "display_name") or "",
                    role=role,
                    office=value(data, "office"),
                    provider_id=provider_id,
                    language=value(data, "language") or "",
                ),
                ctx.actor,
            )
        except AccountError as exc:
            problems += exc.problems
    else:
        problems += binding_problems(None, provider_id, value(data, "language") or "")
    if problems:
        return _refused(request, ctx, account_id, problems, "change", data)
    if changed:
        _audit(
            ctx,
            account,
            "changed",
            {k: {"before": before, "after": after} for k, (before, after) in changed.items()},
        )
        ctx.session.commit()
    return _done(account, "changed")


@post("/admin/accounts/{account_id:int}/password", access=Access.ANYONE, guards=[ADMIN])
def new_password(request: Request[Any, Any, Any], ctx: Ctx, account_id: PathId, data: Form) -> Any:
    account = _account(ctx, account_id)
    password = str(data.get("password") or "")
    problems = [wrong] if (wrong := password_problem(password)) else []
    if password != str(data.get("password_again") or ""):
        problems.append(Problem("password_again", "passwords-match", "the two passwords differ"))
    try:
        ended = 0 if problems else reset_password(ctx.session, account, password, ctx.now)
    except AccountError as exc:
        problems += exc.problems
    if problems:
        return _refused(request, ctx, account_id, problems, "password", data)
    _audit(ctx, account, "password_reset", {"sessions_ended": ended})
    ctx.session.commit()
    return _done(account, "password_reset")


@post("/admin/accounts/{account_id:int}/unlock", access=Access.ANYONE, guards=[ADMIN])
def unlock(request: Request[Any, Any, Any], ctx: Ctx, account_id: PathId) -> Any:
    account = _account(ctx, account_id)
    before = {"failed_attempts": account.failed_attempts, "locked_until": account.locked_until}
    unlock_account(ctx.session, account)
    _audit(
        ctx,
        account,
        "unlocked",
        {
            "failed_attempts": before["failed_attempts"],
            "locked_until": before["locked_until"].isoformat() if before["locked_until"] else None,
        },
    )
    ctx.session.commit()
    return _done(account, "unlocked")


@post("/admin/accounts/{account_id:int}/disable", access=Access.ANYONE, guards=[ADMIN])
def disable(request: Request[Any, Any, Any], ctx: Ctx, account_id: PathId, data: Form) -> Any:
    account = _account(ctx, account_id)
    reason = (value(data, "reason") or "").strip()
    problems: list[Problem] = []
    if len(reason) < 4:
        problems.append(Problem("reason", "reason-given", "say why, in a few words"))
    try:
        ended = 0 if problems else disable_account(ctx.session, account, ctx.now, ctx.actor)
    except AccountError as exc:
        problems += exc.problems
    if problems:
        return _refused(request, ctx, account_id, problems, "disable", data)
    audit.record(
        ctx.session,
        actor=ctx.actor,
        at=ctx.now,
        entity="user_account",
        entity_id=account.id or 0,
        action="disabled",
        reason=reason[:2000],
        details={"username": account.username, "sessions_ended": ended},
    )
    ctx.session.commit()
    return _done(account, "disabled")


@post("/admin/accounts/{account_id:int}/enable", access=Access.ANYONE, guards=[ADMIN])
def enable(request: Request[Any, Any, Any], ctx: Ctx, account_id: PathId) -> Any:
    account = _account(ctx, account_id)
    if account.disabled_at is not None:
        enable_account(ctx.session, account)
        _audit(ctx, account, "enabled", {})
        ctx.session.commit()
    return _done(account, "enabled")


# --- the audit trail ---------------------------------------------------------------------

AUDIT: Listing[AuditRecord] = Listing(
    "audit",
    N_("Audit trail"),
    [
        Column("at", N_("When"), lambda r: r.at, col(AuditRecord.at)),
        Column("actor", N_("Who"), lambda r: r.actor, col(AuditRecord.actor)),
        Column("actor_role", N_("Role"), lambda r: r.actor_role, col(AuditRecord.actor_role), True),
        Column("entity", N_("Record"), lambda r: r.entity, reader=entity_words),
        Column("entity_id", N_("Number"), lambda r: r.entity_id),
        Column("action", N_("What was done"), lambda r: r.action, reader=action_words),
        Column("reason", N_("Reason"), lambda r: words(r.reason)),
        Column("parameter_version", N_("Parameter version"), lambda r: r.parameter_version),
        Column("details", N_("Details"), lambda r: _details(r.details)),
    ],
    sort="at",
    descending=True,
    filters=("entity", "action", "actor", "entity_id", "from", "to"),
    tiebreak=col(AuditRecord.id),
)


def _details(details: dict[str, Any]) -> str:
    import json

    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)


def _day(text: str | None, name: str, problems: list[Problem]) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(name, "date", "a date as YYYY-MM-DD"))
        return None


@get("/admin/audit", access=Access.ANYONE, guards=[ADMIN])
def audit_trail(request: Request[Any, Any, Any], ctx: Ctx) -> Template | Response[bytes]:
    """Who changed what and when, newest first; filtered by record, action, person and days,
    and exportable for an inspection. The trail itself cannot be changed (triggers refuse it)."""
    asked = AUDIT.ask(query_of(request))
    f = asked.filters
    problems: list[Problem] = []
    first = _day(f.get("from"), "from", problems)
    last = _day(f.get("to"), "to", problems)
    if first and last and last < first:
        problems.append(Problem("to", "date-order", "the last day comes before the first"))
    if problems:
        raise InvalidInput(problems)
    query = select(AuditRecord)
    if entity := f.get("entity"):
        query = query.where(AuditRecord.entity == entity)
    if action := f.get("action"):
        query = query.where(AuditRecord.action == action)
    if actor := f.get("actor"):
        query = query.where(col(AuditRecord.actor).contains(actor))
    if entity_id := f.get("entity_id"):
        query = query.where(AuditRecord.entity_id == entity_id)
    zone = request.app.state.settings.zone
    if first:
        query = query.where(col(AuditRecord.at) >= datetime.combine(first, time(), tzinfo=zone))
    if last:
        end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)
        query = query.where(col(AuditRecord.at) < end)
    if asked.format:
        rows = AUDIT.all_of_query(ctx.session, query, asked)
        return AUDIT.export(rows, asked, translator(request).gettext)
    gettext = translator(request).gettext
    entities = ctx.session.exec(select(AuditRecord.entity).distinct().order_by("entity")).all()
    actions = ctx.session.exec(select(AuditRecord.action).distinct().order_by("action")).all()
    return render(
        request,
        "shell/audit.html",
        page=AUDIT.page_of_query(ctx.session, query, asked),
        entities=entities,
        actions=actions,
        f=f,
        details=_details,
        reason_words=words,
        entity_words=lambda code: entity_words(code, gettext),
        action_words=lambda code: action_words(code, gettext),
    )


HANDLERS = [
    accounts,
    add_account,
    account_page,
    change,
    new_password,
    unlock,
    disable,
    enable,
    audit_trail,
]
