"""The audit trail: who did what, when, from where, with the field-level before and after."""
