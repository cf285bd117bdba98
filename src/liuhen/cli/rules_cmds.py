"""``liuhen profiles`` and ``liuhen check``: policy profiles and compliance findings.

Both run without a server, database or data directory: ``check`` reads case bundles,
evaluates them against a profile and prints the findings (exit 0 whether or not there are
findings; 2 when a bundle, profile, calendar file or time is bad).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from liuhen.cli.context import emit_json
from liuhen.domain.finding import SEVERITIES, STATUSES, SUBJECT_KINDS, Finding
from liuhen.errors import BundleInvalid, InvalidInput, LiuhenError
from liuhen.rules import WorkCalendar, evaluate, list_profiles, load_bundle, load_profile
from liuhen.rules.engine.profile import Profile

SHANGHAI = ZoneInfo("Asia/Shanghai")


def register(cli: click.Group) -> None:
    register_profile_tools()
    cli.add_command(profiles_cmd)
    cli.add_command(check_cmd)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that lines up Chinese (double-width) characters."""
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


@click.group("profiles", invoke_without_command=True)
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="另外加载的制度配置文件（可多次）",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def profiles_cmd(ctx: click.Context, files: tuple[str, ...], as_json: bool) -> None:
    """列出内置和加载的制度配置及其规则；lint 检查本机关的配置文件，diff 逐条比较两份配置。"""
    if ctx.invoked_subcommand is not None:
        return
    found = list_profiles() + [load_profile(f) for f in files]
    if as_json:
        emit_json({"profiles": [p.to_dict() for p in found]})
        return
    rows = [
        [p.id, p.name, " → ".join(p.chain[1:]) or "—", str(len(p.rules)), p.source or "—"]
        for p in found
    ]
    click.echo(table(["编号", "名称", "上级", "规则数", "来源"], rows))


def register_profile_tools() -> None:
    from liuhen.cli.profile_cmds import diff_cmd, lint_cmd

    profiles_cmd.add_command(lint_cmd)
    profiles_cmd.add_command(diff_cmd)


def parse_now(text: str | None) -> datetime:
    """``--now``: ISO 8601 time or date; without an offset it is Beijing time."""
    if text is None:
        return datetime.now(SHANGHAI)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(
            f"--now {text!r} 不是有效的时间（例：2026-11-23T09:00:00+08:00）"
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)


def _profile_for(case_profile: str | None, chosen: str | None, path: str) -> Profile:
    name = chosen or case_profile
    if not name:
        raise InvalidInput(f"案件包 {path} 没有指定制度配置（agency.profile），请用 --profile 指定")
    return load_profile(name)


def _fmt_due(f: Finding) -> str:
    if f.calendar_unknown:
        return "节假日安排未知"
    return f.due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if f.due else "—"


def render_case(path: str, case_id: str, profile: Profile, findings: list[Finding]) -> str:
    violations = sum(1 for f in findings if f.status == "violation")
    advice = sum(1 for f in findings if f.status == "advice")
    head = f"案件 {case_id}（{path}，依据《{profile.name}》）："
    if not findings:
        return head + "未发现问题。"
    pending = len(findings) - violations - advice
    head += f"{len(findings)} 项问题（违规 {violations}，待办 {pending}）"
    if advice:
        head = head[:-1] + f"，提示 {advice}）"
    rows = [
        [
            str(i),
            STATUSES[f.status],
            SEVERITIES.get(f.severity, f.severity),
            f.citation,
            f"{SUBJECT_KINDS.get(f.subject.kind, f.subject.kind)} {f.subject.id}",
            _fmt_due(f),
            f.rule_id,
        ]
        for i, f in enumerate(findings, 1)
    ]
    details = [f"{i}. {f.message}\n   整改：{f.remedy}" for i, f in enumerate(findings, 1)]
    return "\n".join(
        [head, table(["序号", "状态", "严重程度", "依据", "对象", "期限", "规则"], rows), *details]
    )


@click.command("check")
@click.argument("bundles", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--profile",
    "profile_id",
    default=None,
    help="制度配置编号或文件（默认取案件包 agency.profile）",
)
@click.option(
    "--now", "now_text", default=None, help="检查时点，ISO 8601（默认当前时间；不带时区按北京时间）"
)
@click.option(
    "--calendar",
    "calendars",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="补充的节假日安排文件（YAML/JSON，可多次）",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def check_cmd(
    bundles: tuple[str, ...],
    profile_id: str | None,
    now_text: str | None,
    calendars: tuple[str, ...],
    as_json: bool,
) -> None:
    """按制度配置检查案件包，列出问题（不需要服务器和数据目录）。"""
    now = parse_now(now_text)
    calendar = WorkCalendar.from_files(calendars)
    chosen = load_profile(profile_id) if profile_id else None
    loaded = []
    problems: list[str] = []
    for path in bundles:
        try:
            case = load_bundle(path)
            profile = chosen or _profile_for(case.agency.profile, None, path)
        except LiuhenError as exc:
            problems += [f"{path}: {exc.message}"] + [f"{path}: {d}" for d in exc.details]
            continue
        loaded.append((path, case, profile))
    if problems:
        raise BundleInvalid(f"{len(problems)} 处输入错误，未进行检查", details=problems)
    results = [
        (path, case, profile, evaluate(case, profile, calendar, now))
        for path, case, profile in loaded
    ]
    if as_json:
        emit_json(
            {
                "now": now.isoformat(),
                "cases": [
                    {
                        "bundle": path,
                        "case_id": case.id,
                        "profile": profile.id,
                        "findings": [f.to_dict() for f in found],
                    }
                    for path, case, profile, found in results
                ],
            }
        )
        return
    click.echo(
        "\n\n".join(
            render_case(path, case.id, profile, found) for path, case, profile, found in results
        )
    )
