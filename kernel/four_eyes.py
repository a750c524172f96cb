"""Four eyes: a step that must be taken by someone other than whoever took the step before it
(a sanction's review and confirmation after its proposal, an official's relative's second
approval, releasing a month's bank file after its run). POLICY.md "Safeguards": a second officer.
"""

from __future__ import annotations

from kernel.context import ServiceContext
from kernel.errors import Forbidden, Problem
from kernel.messages import Text, say


def second_person(ctx: ServiceContext, first: str | None, what: str) -> None:
    """403 when the acting person is ``first``; ``what`` is a catalog message naming the step
    ("confirming a sanction")."""
    if first is not None and first == ctx.actor.label:
        raise Forbidden(
            Problem(
                "actor",
                "four-eyes",
                say("%(what)s must be done by a second person", what=Text(what)),
            )
        )
