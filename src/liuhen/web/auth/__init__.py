"""Signing in and the one permission check every route declares (``permission(ACTION)``)."""
