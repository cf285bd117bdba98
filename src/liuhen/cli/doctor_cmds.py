"""``liuhen doctor``: what this machine and its store lack, and the fix for each."""

from __future__ import annotations

import os
import sys
import unicodedata
from pathlib import Path

import click

from liuhen.cli.context import emit_json, settings_from
from liuhen.errors import PROBLEMS_FOUND, ConfigError

MARKS = {"ok": "✓", "warn": "!", "fail": "✗"}


def register(cli: click.Group) -> None:
    cli.add_command(doctor)


@click.command("doctor")
@click.option("--quick", is_flag=True, help="不试生成 PDF（省几秒）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def doctor(ctx: click.Context, quick: bool, as_json: bool) -> None:
    """检查字体、本地库、PDF 生成、音视频库、数据库、文件存储、签名密钥、节假日安排和磁盘，
    并给出每个问题的修复方法。退出码 0 可以运行（可能有提醒），1 有问题须先解决。"""
    from liuhen.services.admin.doctor import Check, machine, run_doctor

    try:
        checks = run_doctor(settings_from(ctx), render_pdf=not quick)
    except ConfigError as exc:  # a setting so wrong the store cannot even be described
        data_dir = Path(os.environ.get("LIUHEN_DATA_DIR", "liuhen-data"))
        bad = Check("settings", "设置", "fail", exc.message, "改正该设置（见 docs/settings.md）")
        checks = [bad, *machine.checks_for_dir(data_dir, render_pdf=not quick)]
    failed = [c for c in checks if c.status == "fail"]
    if as_json:
        emit_json({"ok": not failed, "checks": [c.to_dict() for c in checks]})
    else:
        width = max(_width(c.label) for c in checks) + 2
        for c in checks:
            pad = " " * (width - _width(c.label))
            click.echo(f"{MARKS[c.status]} {c.label}{pad}{c.summary}")
            for line in c.details:
                click.echo(f"    {line}")
            if c.fix and c.status != "ok":
                click.echo(f"    修复：{c.fix}")
        warned = sum(c.status == "warn" for c in checks)
        if failed:
            click.echo(
                f"有 {len(failed)} 项问题须先解决" + (f"，另有 {warned} 项提醒" if warned else "")
            )
        else:
            click.echo("可以运行" + (f"（有 {warned} 项提醒）" if warned else "：一切就绪"))
    sys.exit(PROBLEMS_FOUND if failed else 0)


def _width(text: str) -> int:
    """Columns ``text`` takes on a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
