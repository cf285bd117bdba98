"""Administration pages: the holiday calendar (``services/admin``)."""
