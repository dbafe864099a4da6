"""Spreadsheets in and out: exports, templates, imports (see each module)."""
