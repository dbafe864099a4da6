"""Review workflows: states, transitions and who may fire them (see docs/schema.md)."""
