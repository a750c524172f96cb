"""Human sign-in: accounts, password hashing, the lock-out rule, server-side sessions, CSRF.

A signed-in person becomes the same ``Principal`` an API token gives (kind ``"user"``), so
guards, services and audit records work unchanged whichever door someone came through.

The lock-out rule: 5 wrong passwords in a row lock the account for 15 minutes from the fifth.
While locked, sign-in is refused without looking at the password and attempts are not counted;
once the lock has run out the count starts again from zero; a right password resets it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from kernel.auth import Principal, Role
from kernel.errors import Problem
from kernel.messages import say
from kernel.models import UserAccount, WebSession

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=8)  # a working day; sign in again the next morning
MIN_PASSWORD_LENGTH = 10
LANGUAGES = ("zh_CN", "en")

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both answers take as long.
_DUMMY_HASH = _hasher.hash("workbridge-no-such-account")


class AccountError(ValueError):
    """A bad account request (duplicate username, short password, provider rule...): every
    problem at once, each a catalog message beside its field; ``str()`` reads them in English
    (the command line)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))


def password_problem(password: str) -> Problem | None:
    if len(password) >= MIN_PASSWORD_LENGTH:
        return None
    return Problem(
        "password",
        "password-length",
        say("at least %(n)s characters", n=MIN_PASSWORD_LENGTH),
    )


# --- pure rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class LockState:
    failed_attempts: int
    locked_until: datetime | None

    def locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def after_failure(state: LockState, now: datetime) -> LockState:
    """The state after one more wrong password (never called while locked)."""
    count = 0 if state.locked_until is not None else state.failed_attempts
    count += 1
    if count >= MAX_FAILURES:
        return LockState(failed_attempts=count, locked_until=now + LOCK_FOR)
    return LockState(failed_attempts=count, locked_until=None)


def after_success() -> LockState:
    return LockState(failed_attempts=0, locked_until=None)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token on either side never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def hash_session_id(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_ok(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def principal_of(account: UserAccount) -> Principal:
    assert account.id is not None
    return Principal(
        kind="user",
        id=account.id,
        name=account.username,
        role=Role(account.role),
        provider_id=account.provider_id,
        office=account.office,
    )


# --- accounts ----------------------------------------------------------------------------


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    now: datetime,
    display_name: str | None = None,
    office: str | None = None,
    provider_id: int | None = None,
    language: str = "zh_CN",
) -> UserAccount:
    """Create an account; raises AccountError listing what is wrong. Does not commit."""
    problems: list[Problem] = []
    username = username.strip()
    if not 3 <= len(username) <= 80 or not username.replace("_", "").replace(".", "").isalnum():
        problems.append(
            Problem("username", "username-form", "3 to 80 letters or digits, '.' or '_'")
        )
    if wrong := password_problem(password):
        problems.append(wrong)
    problems += binding_problems(role, provider_id, language)
    if find_account(session, username) is not None:
        problems.append(
            Problem("username", "username-free", say("%(name)s is taken", name=username))
        )
    if problems:
        raise AccountError(problems)
    account = UserAccount(
        username=username,
        display_name=(display_name or username).strip(),
        role=role.value,
        office=(office or "").strip() or None,
        provider_id=provider_id,
        password_hash=hash_password(password),
        language=language,
        created_at=now,
    )
    session.add(account)
    session.flush()
    return account


def set_password(session: Session, account: UserAccount, password: str) -> None:
    if wrong := password_problem(password):
        raise AccountError([wrong])
    account.password_hash = hash_password(password)
    account.failed_attempts, account.locked_until = 0, None
    session.add(account)


# --- maintenance (an administrator's page; each change is audited by the caller) ----------


@dataclass(frozen=True)
class AccountChange:
    """What an administrator may change about an account besides its password."""

    display_name: str
    role: Role
    office: str | None
    provider_id: int | None
    language: str


def binding_problems(role: Role | None, provider_id: int | None, language: str) -> list[Problem]:
    """What is wrong with an account's provider binding and language (no role: the language
    alone, so a form with a bad role still hears of its other problems)."""
    problems: list[Problem] = []
    if role is Role.TRAINING_PROVIDER and provider_id is None:
        problems.append(
            Problem(
                "provider_id",
                "provider-bound",
                "a training provider's account is bound to its provider: give its number",
            )
        )
    if role is not None and role is not Role.TRAINING_PROVIDER and provider_id is not None:
        problems.append(
            Problem(
                "provider_id",
                "provider-bound",
                "only a training provider's account is bound to a provider",
            )
        )
    if language not in LANGUAGES:
        problems.append(
            Problem(
                "language",
                "language",
                say("choose Chinese (中文) or English"),
            )
        )
    return problems


def _not_oneself(account: UserAccount, by: Principal, what: str) -> list[Problem]:
    """An administrator does not take away their own access: another administrator does
    (nobody can lock the last door from the inside by mistake)."""
    if by.kind == "user" and by.id == account.id:
        return [Problem(what, "own-account", "another administrator changes this for you")]
    return []


def change_account(
    session: Session, account: UserAccount, change: AccountChange, by: Principal
) -> dict[str, tuple[object, object]]:
    """Apply ``change``; returns each changed field with its value before and after, for the
    audit record. Every problem at once (AccountError). Does not commit.

    A new role or office applies from the account's next request: sessions read the account
    each time, so nobody keeps the rights they had."""
    problems = binding_problems(change.role, change.provider_id, change.language)
    if change.role.value != account.role:
        problems += _not_oneself(account, by, "role")
    name = change.display_name.strip()
    if not 1 <= len(name) <= 120:
        problems.append(Problem("display_name", "name-length", "1 to 120 characters"))
    if problems:
        raise AccountError(problems)
    after = {
        "display_name": name,
        "role": change.role.value,
        "office": (change.office or "").strip() or None,
        "provider_id": change.provider_id,
        "language": change.language,
    }
    changed = {k: (getattr(account, k), v) for k, v in after.items() if getattr(account, k) != v}
    for k, (_, v) in changed.items():
        setattr(account, k, v)
    session.add(account)
    return changed


def disable_account(session: Session, account: UserAccount, now: datetime, by: Principal) -> int:
    """No more sign-ins, and every open session of the account ends now; returns how many.
    The account and its history stay (audit records name it)."""
    if problems := _not_oneself(account, by, "account"):
        raise AccountError(problems)
    account.disabled_at = account.disabled_at or now
    session.add(account)
    return end_sessions_of(session, account, now)


def enable_account(session: Session, account: UserAccount) -> None:
    account.disabled_at = None
    account.failed_attempts, account.locked_until = 0, None
    session.add(account)


def unlock_account(session: Session, account: UserAccount) -> None:
    """Lift a lock-out before its 15 minutes run out (a person at the desk, identified)."""
    fresh = after_success()
    account.failed_attempts, account.locked_until = fresh.failed_attempts, fresh.locked_until
    session.add(account)


def reset_password(session: Session, account: UserAccount, password: str, now: datetime) -> int:
    """A new password set by an administrator; the account's open sessions end, since
    whoever knew the old password may be signed in. Returns how many ended."""
    set_password(session, account, password)
    return end_sessions_of(session, account, now)


def end_sessions_of(session: Session, account: UserAccount, now: datetime) -> int:
    rows = session.exec(
        select(WebSession).where(
            WebSession.account_id == account.id, col(WebSession.ended_at).is_(None)
        )
    ).all()
    for row in rows:
        row.ended_at = now
        session.add(row)
    return len(rows)


def account_state(account: UserAccount, now: datetime) -> str:
    """active | locked | disabled: what the accounts list shows and filters by."""
    if account.disabled_at is not None:
        return "disabled"
    if account.locked_until is not None and now < account.locked_until:
        return "locked"
    return "active"


def find_account(session: Session, username: str) -> UserAccount | None:
    return session.exec(select(UserAccount).where(UserAccount.username == username.strip())).first()


def list_accounts(session: Session) -> list[UserAccount]:
    return list(session.exec(select(UserAccount).order_by(col(UserAccount.username))))


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: an account, or why not (``"locked"``/``"invalid"``)."""

    account: UserAccount | None
    refused: str | None = None
    locked_until: datetime | None = None


def authenticate(session: Session, username: str, password: str, now: datetime) -> SignIn:
    """Check a password under the lock-out rule; records the attempt. Does not commit."""
    account = find_account(session, username)
    if account is None or account.disabled_at is not None:
        password_ok(_DUMMY_HASH, password)
        return SignIn(None, "invalid")
    state = LockState(account.failed_attempts, account.locked_until)
    if state.locked_at(now):
        return SignIn(None, "locked", account.locked_until)
    if password_ok(account.password_hash, password):
        fresh = after_success()
        account.failed_attempts, account.locked_until = fresh.failed_attempts, fresh.locked_until
        account.last_sign_in_at = now
        session.add(account)
        return SignIn(account)
    failed = after_failure(state, now)
    account.failed_attempts, account.locked_until = failed.failed_attempts, failed.locked_until
    session.add(account)
    if failed.locked_at(now):
        return SignIn(None, "locked", failed.locked_until)
    return SignIn(None, "invalid")


# --- sessions ----------------------------------------------------------------------------


def open_session(session: Session, account: UserAccount, now: datetime) -> tuple[WebSession, str]:
    """A new browser session; the raw id (for the cookie) is returned once. Does not commit."""
    assert account.id is not None
    raw = secrets.token_urlsafe(32)
    row = WebSession(
        session_hash=hash_session_id(raw),
        account_id=account.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    session.flush()
    return row, raw


def live_session(
    session: Session, raw: str, now: datetime
) -> tuple[WebSession, UserAccount] | None:
    """The session behind a cookie value, if it is neither ended nor expired."""
    row = session.exec(
        select(WebSession).where(WebSession.session_hash == hash_session_id(raw))
    ).first()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    account = session.get(UserAccount, row.account_id)
    if account is None or account.disabled_at is not None:
        return None
    return row, account


def end_session(session: Session, raw: str, now: datetime) -> None:
    row = session.exec(
        select(WebSession).where(WebSession.session_hash == hash_session_id(raw))
    ).first()
    if row is not None and row.ended_at is None:
        row.ended_at = now
        session.add(row)
