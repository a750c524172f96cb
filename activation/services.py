"""Activation use cases, gathered for callers: duties and registration, referrals and the
refusal rule, sanctions and appeals, jobs and the continuation, the daily sweep (POLICY.md
rules 2-5). Each lives in its own module; this module is the one place callers import from."""

from activation.common import (  # noqa: F401
    OPEN_SANCTION_STATES,
    RUNNING,
    close_tasks,
    get_referral,
    household_of,
    live_case,
    lock_person,
    member_or_404,
    not_future,
    open_application,
    open_task,
    open_tasks,
    person_facts,
    record_decision,
)
from activation.duties import (  # noqa: F401
    approval_check,
    live_household_ids,
    on_household_changed,
    refresh_duties,
    register,
    sync_profiles,
    unregistered,
)
from activation.referrals import (  # noqa: F401
    CODE_ALPHABET,
    add_evidence,
    answer,
    confirm_delivery,
    course_matches,
    decide_good_reason,
    outcomes_of,
    refer,
    sanctions_with,
)
from activation.sanctions import (  # noqa: F401
    comply,
    decide_appeal,
    decide_sanction,
    get_sanction,
    lodge_appeal,
    restore_case,
    review_vulnerability,
    sanctions,
    start_sanction,
)
from activation.sweep import (  # noqa: F401
    daily_sweep,
)
from activation.work import (  # noqa: F401
    change_job_income,
    continuation_sweep,
    end_job,
    get_job,
    hired,
    on_placement_reported,
    start_job,
)
