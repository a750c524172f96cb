"""The audit trail's codes in words: which record, and what was done to it.

The trail stores codes (``application``/``approved``, ``case``/``status:suspended``), written by
every context; the administrator's viewer reads them in the reader's language. Codes with a
part after a colon name a state or an answer, which the contexts have already named.
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.messages import N_, code_message

ENTITIES = {
    "application": N_("application"),
    "appointment": N_("appointment"),
    "contact_note": N_("contact note"),
    "case": N_("benefit case"),
    "course": N_("course"),
    "enrolment": N_("enrolment"),
    "household": N_("household"),
    "job": N_("job"),
    "member": N_("household member"),
    "outcome_report": N_("training outcome report"),
    "payment_run": N_("payment run"),
    "referral": N_("offer"),
    "registration": N_("job-seeker registration"),
    "sanction": N_("sanction"),
    "seeker_profile": N_("job-seeker profile"),
    "training_provider": N_("training provider"),
    "user_account": N_("account"),
    "roll": N_("roll"),
    "register": N_("register"),
    "training_clock": N_("training clock"),
    "vacancy": N_("job vacancy"),
}

ACTIONS = {
    "added": N_("added"),
    "appeal-dismissed": N_("appeal dismissed"),
    "appeal-lodged": N_("appeal lodged"),
    "appeal-upheld": N_("appeal upheld"),
    "applied": N_("application received"),
    "appraisal": N_("democratic appraisal recorded"),
    "approved": N_("approved"),
    "attended": N_("came to the appointment"),
    "booked": N_("booked"),
    "cancelled": N_("called off"),
    "missed": N_("missed the appointment"),
    "written": N_("written down"),
    "changed": N_("changed"),
    "circumstances-changed": N_("circumstances changed"),
    "confirmed": N_("confirmed"),
    "created": N_("created"),
    "delivery-confirmed": N_("delivery confirmed"),
    "document-added": N_("document added"),
    "document-replaced": N_("document replaced"),
    "disabled": N_("disabled"),
    "exported": N_("exported"),
    "advanced": N_("moved forward"),
    "enabled": N_("enabled again"),
    "ended": N_("ended"),
    "enrolled": N_("enrolled"),
    "evidence-added": N_("evidence added"),
    "finished": N_("finished"),
    "first_approval": N_("first approval"),
    "good-reason-decided": N_("good reason decided"),
    "imported": N_("imported"),
    "income-changed": N_("income changed"),
    "investigation": N_("home investigation recorded"),
    "objection": N_("objection received"),
    "objection_resolved": N_("objection resolved"),
    "opened": N_("opened"),
    "password_reset": N_("password reset"),
    "public_notice": N_("public notice posted"),
    "roll-corrected": N_("corrected from the roll"),
    "re-reviewed": N_("reviewed again"),
    "reentry_applied": N_("fast re-entry applied for"),
    "received": N_("received"),
    "referred": N_("referred"),
    "registered": N_("registered"),
    "registration-updated": N_("registration updated"),
    "rejected": N_("rejected"),
    "signed-off": N_("signed off"),
    "started": N_("started"),
    "unlocked": N_("unlocked"),
    "updated": N_("updated"),
    "vulnerability-reviewed": N_("vulnerability reviewed"),
}

# "status:suspended", "answer:declined": what the part after the colon is about
PREFIXES = {
    "status": N_("status changed to %(what)s"),
    "answer": N_("answered: %(what)s"),
}


def entity_words(code: str, gettext: Callable[[str], str]) -> str:
    message = ENTITIES.get(code)
    return gettext(message) if message else code


def action_words(code: str, gettext: Callable[[str], str]) -> str:
    if message := ACTIONS.get(code):
        return gettext(message)
    prefix, _, rest = code.partition(":")
    if rest and (pattern := PREFIXES.get(prefix)):
        named = code_message(rest)
        return gettext(pattern) % {"what": gettext(named) if named else rest}
    return code
