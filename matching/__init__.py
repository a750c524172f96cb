"""Matching context: seeker profiles against vacancies and courses — hard suitability filters,
scores, explanations, ranking, and the allocation of scarce training places."""
