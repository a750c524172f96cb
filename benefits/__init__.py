"""Benefits context: households, applications and approval, entitlement, cases and status."""

# The codes this context keeps in its tables are named in words as soon as any part of it is
# used, so whatever shows them (pages, API answers, exports) finds their words.
from benefits import words as words
