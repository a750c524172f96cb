"""Oversight of the refusal rule (issue 17): who is stopped, by whom, how often it is reversed,
computed from the stored decisions, with small cells suppressed and alerts where a pattern or a
safeguard's breach shows."""
