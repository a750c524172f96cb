"""Activation: the job-seeker duty, referrals and answers, the refusal rule with its safeguards,
sanctions and appeals, and the way back (POLICY.md rules 2-3 and "Safeguards")."""
