"""Activation: the job-seeker duty, referrals and answers, the refusal rule with its safeguards,
sanctions and appeals, and the way back (POLICY.md rules 2-3 and "Safeguards")."""

# The codes this context keeps in its tables are named in words as soon as any part of it is
# used, so whatever shows them (pages, API answers, exports) finds their words.
from activation import words as words
