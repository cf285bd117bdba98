"""The AV feature's reads: every SQL statement of ``services/av`` lives in this package
(import-linter keeps SQLAlchemy out of the other service modules)."""
