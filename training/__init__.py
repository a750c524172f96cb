"""Training context: providers, courses, enrolments, outcome reports, placement rates and the
subsidies tied to them (report 4 §五1)."""
