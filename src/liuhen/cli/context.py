"""Turning the group's options into one ``Settings`` (the CLI's only edge to config)."""

from __future__ import annotations

import click

from liuhen.config import Settings


def settings_from(ctx: click.Context) -> Settings:
    root = ctx.find_root()
    cached = root.meta.get("liuhen.settings")
    if cached is None:
        cached = Settings.from_env(**(root.obj or {}))
        root.meta["liuhen.settings"] = cached
    return cached


def emit_json(payload: object) -> None:
    """Print one JSON document on stdout."""
    import json

    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
