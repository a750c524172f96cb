"""Benefits context: households, applications and approval, entitlement, cases and status."""
