"""Pages for party requests (查阅/复制), share links and record downloads (``services/access``)."""
