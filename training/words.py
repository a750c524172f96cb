"""Training's codes in words: where a trainee stands and what a provider reports.

Enrolments store their state (``enrolled`` ... ``placed``) and reports their kind as codes; a
provider reads them in Chinese. The codes are named with a prefix because ``completed`` and
``enrolled`` already mean other things elsewhere (a payment run, an audit action), and a
trainee who completed the course is not a finished payment run.
"""

from __future__ import annotations

from kernel.messages import N_, Text, code_text, name_codes

# Where a trainee stands (Enrolment.status, training.rules.Progress.status)
STATES = ("enrolled", "dropped", "completed", "certified", "placed")
# What a provider may report (training.schemas.OutcomeKind), in the order a course runs
KINDS = ("enrolled", "attended", "dropped", "completed", "certified", "placed")

WORDS = {
    "trainee:enrolled": N_("in training"),
    "trainee:dropped": N_("dropped out"),
    "trainee:completed": N_("completed the course"),
    "trainee:certified": N_("certificate obtained"),
    "trainee:placed": N_("placed in work"),
    "outcome:enrolled": N_("enrolment day"),
    "outcome:attended": N_("attendance"),
    "outcome:dropped": N_("dropped out"),
    "outcome:completed": N_("completed the course"),
    "outcome:certified": N_("certificate obtained"),
    "outcome:placed": N_("placed in work"),
}
name_codes(WORDS)

# The fields a kind of report needs (training.rules.REQUIRED), as a sentence names them.
FIELDS = {
    "sessions_attended": N_("the sessions attended"),
    "reason": N_("the reason"),
    "certificate_no": N_("the certificate number"),
    "employer": N_("the employer"),
    "occupation": N_("the occupation"),
    "monthly_income": N_("the monthly income"),
    "hours_per_week": N_("the hours a week"),
}


def state_code(status: str) -> str:
    """The named code of a trainee's state (``trainee:placed``)."""
    return f"trainee:{status}"


def kind_code(kind: str) -> str:
    """The named code of a kind of report (``outcome:placed``)."""
    return f"outcome:{kind}"


def state_text(status: str) -> Text | str:
    return code_text(state_code(status))


def kind_text(kind: str) -> Text | str:
    return code_text(kind_code(kind))


def field_text(name: str) -> Text | str:
    message = FIELDS.get(name)
    return Text(message) if message else name.replace("_", " ")
