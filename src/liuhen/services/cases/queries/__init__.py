"""The cases feature's reads: every SQL query of ``services/cases`` lives in this package
(import-linter keeps SQLAlchemy out of the other service modules)."""
