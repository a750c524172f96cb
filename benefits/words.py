"""Benefits' codes in words: application and case states, schemes, relations, sexes — shown
through the catalogs in the reader's language (``kernel.messages.code_words``)."""

from __future__ import annotations

from kernel.messages import N_, name_codes

WORDS = {
    "applied": N_("applied"),
    "investigated": N_("home visit done"),
    "appraised": N_("appraised"),
    "public_notice": N_("public notice"),
    "awaiting_second_approval": N_("awaiting a second approver"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "investigation": N_("home investigation"),
    "appraisal": N_("democratic appraisal"),
    "objection": N_("objection received"),
    "objection_resolved": N_("objection resolved"),
    "first_approval": N_("first approval"),
    "reentry_applied": N_("re-entry requested"),
    "new": N_("new application"),
    "reentry": N_("fast re-entry"),
    "urban": N_("urban"),
    "rural": N_("rural"),
    "pending": N_("pending"),
    "suspended": N_("suspended"),
    "continuation_full": N_("continuation (full)"),
    "continuation_half": N_("continuation (half)"),
    "terminated": N_("terminated"),
    "no_application": N_("no application"),
    "head": N_("head"),
    "spouse": N_("spouse"),
    "child": N_("child"),
    "parent": N_("parent"),
    "sibling": N_("sibling"),
    "grandchild": N_("grandchild"),
    "male": N_("male"),
    "female": N_("female"),
    # documents an application brings
    "household_register": N_("household register (hukou booklet)"),
    "identity_cards": N_("identity cards"),
    "income_statement": N_("income statement"),
    "disability_certificate": N_("disability certificate"),
    "medical_records": N_("medical records"),
    "enrolment_certificate": N_("school enrolment certificate"),
    # sources of income
    "wages": N_("wages"),
    "business": N_("business income"),
    "agriculture": N_("farming"),
    "pension": N_("pension"),
    "support": N_("support from relatives"),
    "rent": N_("rent"),
    "transfer": N_("transfers"),
    # payment adjustments
    "back_pay": N_("back pay"),
    "recovery": N_("recovery of an overpayment"),
}
name_codes(WORDS)


# The categories' names as the policy profiles give them (``words`` beside each ``label`` in
# kernel/policy_profiles/*.toml), so the catalogs carry them in both languages.
CATEGORY_WORDS = (
    N_("three-nos: no income, no ability to work, no one to support them"),
    N_("serious illness, severe disability, single parent, child at university"),
    N_("general hardship"),
    N_("rural three-nos or five guarantees"),
    N_("serious illness, severe disability, single-parent hardship"),
    N_("special hardship from disaster or accident"),
)
