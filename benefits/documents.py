"""The files an application brings: taken in, kept, replaced, and counted as present.

An application names the documents it brings (``Application.documents``) and approval lists
each required one that is missing. An officer scans the papers at the window and uploads them
here; an upload marks its kind present, so the approval check stops asking for it.

What is accepted is decided by the content, not by what the browser says: a PDF, JPEG or PNG
by its first bytes, at most ``MAX_BYTES``, never empty. Files are kept in the database (a
county's scans are small) and never overwritten: a replacement is a new row that the old one
points to, so what the office saw at each step stays on record. The audit trail gets the kind,
size and SHA-256 of each file, never its content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from benefits.models import Application, ApplicationDocument
from benefits.schemas import DocumentKind
from benefits.services import OPEN_APPLICATION_STATES, get_application
from kernel import audit
from kernel.context import ServiceContext
from kernel.errors import Conflict, InvalidInput, NotFound, Problem, missing
from kernel.messages import say

MAX_BYTES = 5 * 1024 * 1024
# The first bytes of each kind of file an office scans, and the type it is served as.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
ACCEPTED_TYPES = frozenset(media for _, media in SIGNATURES)
# What a browser may call a file whose type it does not know; the content decides then.
UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
MAX_NAME = 255


@dataclass(frozen=True)
class IncomingFile:
    """A file as it came in: its name and declared type from the browser, and its bytes (up to
    one byte past the limit: enough to know it is too large)."""

    file_name: str
    declared_type: str
    content: bytes


def sniffed_type(content: bytes) -> str | None:
    """The accepted type the content's first bytes show, or None."""
    for signature, media in SIGNATURES:
        if content.startswith(signature):
            return media
    return None


def file_problems(incoming: IncomingFile, field: str = "file") -> tuple[list[Problem], str]:
    """Every reason to refuse the file, and the type it is kept and served as."""
    problems: list[Problem] = []
    size = len(incoming.content)
    declared = incoming.declared_type.split(";", 1)[0].strip().lower()
    actual = sniffed_type(incoming.content)
    if size == 0:
        problems.append(Problem(field, "file-not-empty", "the file is empty"))
    elif size > MAX_BYTES:
        problems.append(
            Problem(
                field,
                "file-size",
                say("the file is larger than %(limit)s MB", limit=MAX_BYTES // (1024 * 1024)),
            )
        )
    elif actual is None:
        problems.append(
            Problem(
                field, "file-type", "the file is not a PDF, JPEG or PNG (read from its content)"
            )
        )
    elif declared not in UNTYPED and declared != actual:
        problems.append(
            Problem(
                field,
                "file-type",
                say(
                    "the file was sent as %(declared)s but its content is %(actual)s",
                    declared=declared[:64],
                    actual=actual,
                ),
            )
        )
    name = incoming.file_name.strip()
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        problems.append(Problem(field, "file-name", "the file needs a name of 1 to 255 characters"))
    return problems, actual or ""


def documents_of(session: Session, application_id: int) -> list[ApplicationDocument]:
    """An application's files, current and replaced, oldest first, without their content."""
    return list(
        session.exec(
            select(ApplicationDocument)
            .options(defer(col(ApplicationDocument.content)))
            .where(ApplicationDocument.application_id == application_id)
            .order_by(col(ApplicationDocument.id))
        )
    )


def get_document(session: Session, application_id: int, document_id: int) -> ApplicationDocument:
    """One of the application's files; another application's is as good as none (404). Its
    content is read only when it is used (a download), not to check or to replace it."""
    document = session.exec(
        select(ApplicationDocument)
        .options(defer(col(ApplicationDocument.content)))
        .where(ApplicationDocument.id == document_id)
    ).first()
    if document is None or document.application_id != application_id:
        raise NotFound(missing("document_id", document_id))
    return document


def missing_documents(ctx: ServiceContext, application: Application) -> list[str]:
    """The documents the policy requires today that the application has not brought."""
    required = ctx.params(ctx.today).raw("benefits.required_documents")
    return sorted(set(required) - set(application.documents))


def _open_for_documents(application: Application) -> None:
    if application.state not in {s.value for s in OPEN_APPLICATION_STATES}:
        raise Conflict(
            Problem(
                "application_id",
                "application-open",
                say(
                    "application %(id)s is decided: its documents stay as they were",
                    id=application.id,
                ),
            )
        )


def _keep(
    ctx: ServiceContext, application: Application, kind: str, incoming: IncomingFile
) -> ApplicationDocument:
    problems, content_type = file_problems(incoming)
    if problems:
        raise InvalidInput(problems)
    document = ApplicationDocument(
        application_id=application.id or 0,
        household_id=application.household_id,
        kind=kind,
        file_name=incoming.file_name.strip(),
        content_type=content_type,
        size=len(incoming.content),
        sha256=hashlib.sha256(incoming.content).hexdigest(),
        content=incoming.content,
        uploaded_by=ctx.actor.label,
        uploaded_at=ctx.now,
    )
    ctx.session.add(document)
    ctx.session.flush()
    if kind not in application.documents:
        # A new list, so the JSON column is seen as changed.
        application.documents = sorted({*application.documents, kind})
    application.updated_at = ctx.now
    return document


def _details(document: ApplicationDocument, **more: int | None) -> dict[str, object]:
    return {
        "document_id": document.id,
        "kind": document.kind,
        "size": document.size,
        "sha256": document.sha256,
        "content_type": document.content_type,
        **more,
    }


def add_document(
    ctx: ServiceContext, application_id: int, kind: DocumentKind, incoming: IncomingFile
) -> ApplicationDocument:
    """Keep a file the application brings and mark its kind present."""
    application = get_application(ctx.session, application_id, lock=True)
    _open_for_documents(application)
    document = _keep(ctx, application, kind, incoming)
    audit.note(
        ctx,
        entity="application",
        entity_id=application_id,
        action="document-added",
        details=_details(document),
    )
    ctx.session.commit()
    return document


def replace_document(
    ctx: ServiceContext, application_id: int, document_id: int, incoming: IncomingFile
) -> ApplicationDocument:
    """A better scan, or the right paper instead of the wrong one: the new file becomes the
    current one of the same kind, and the old one stays on record, naming its replacement."""
    application = get_application(ctx.session, application_id, lock=True)
    old = get_document(ctx.session, application_id, document_id)
    _open_for_documents(application)
    if old.replaced_by is not None:
        raise Conflict(
            Problem(
                "document_id",
                "document-current",
                say(
                    "document %(id)s was replaced already, by document %(by)s",
                    id=document_id,
                    by=old.replaced_by,
                ),
            )
        )
    document = _keep(ctx, application, old.kind, incoming)
    old.replaced_by = document.id
    old.replaced_at = ctx.now
    ctx.session.add(old)
    audit.note(
        ctx,
        entity="application",
        entity_id=application_id,
        action="document-replaced",
        details=_details(document, replaces=old.id),
    )
    ctx.session.commit()
    return document


def current(documents: Sequence[ApplicationDocument]) -> list[ApplicationDocument]:
    return [d for d in documents if d.replaced_by is None]
