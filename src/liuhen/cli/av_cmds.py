"""``liuhen import-av DIR``: a docking-station folder into the store, with a report.

Exit 0 when every file was stored or already held; 2 when any file was refused (the
report still lists everything, on stdout). Running it again stores nothing twice.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from liuhen.cli.context import Progress, emit_json, open_store
from liuhen.errors import InvalidInput
from liuhen.ledger.events import Actor

if TYPE_CHECKING:
    from liuhen.store.store import Store

STATUS_LABELS = {"new": "新存储", "duplicate": "已存在", "rejected": "拒收"}
KIND_LABELS = {"video": "视频", "audio": "录音", "photo": "照片"}


def register(cli: click.Group) -> None:
    cli.add_command(import_av_cmd)
    cli.add_command(station)
    cli.add_command(uploads_cmd)


@click.command("import-av")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--device", default=None, help="设备编号（执法记录仪序列号），采集站清单优先")
@click.option("--officer", default=None, help="执法证号/警号，采集站清单优先")
@click.option(
    "--manifest", type=click.Path(path_type=Path), default=None, help="采集站清单（CSV 或 JSON）"
)
@click.option(
    "--patterns",
    type=click.Path(path_type=Path),
    default=None,
    help="本单位的文件名规则（YAML 或 JSON 列表：name、vendor、regex、example）",
)
@click.option(
    "--tolerance", type=float, default=2.0, show_default=True, help="片段间允许的间隔（秒）"
)
@click.option("--user", "username", default=None, help="以该用户（如音像管理员）的身份接收")
@click.option(
    "--agency",
    default=None,
    help="接收音像的机关（标识或名称）；不给时按接收人所属机关，系统中只有一个机关时即为该机关",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def import_av_cmd(
    ctx: click.Context,
    directory: Path,
    device: str | None,
    officer: str | None,
    manifest: Path | None,
    patterns: Path | None,
    tolerance: float,
    username: str | None,
    agency: str | None,
    as_json: bool,
) -> None:
    """导入采集站目录 DIR 中的音视频和照片（原样存储，可重复运行，不会重复存储）。

    尚未关联案件的音像按接收机关划定查阅范围：不能确定接收机关时拒绝导入。目录中指向目录之外的
    符号链接不会被读取。"""
    from datetime import timedelta

    from liuhen.media.importing import ImportOptions
    from liuhen.media.manifest import load_manifest
    from liuhen.media.naming import DEFAULT_PATTERNS, load_patterns
    from liuhen.media.scan import escapes, list_files
    from liuhen.services.av.ingest import import_av
    from liuhen.services.av.receiving import receiving_agency

    if not directory.is_dir():
        raise InvalidInput(f"DIR: 目录 {directory} 不存在或不是目录")
    if tolerance < 0:
        raise InvalidInput("--tolerance: 间隔容差不能为负数")
    store = open_store(ctx)
    actor, custodian = _receiver(store, username)
    options = ImportOptions(
        agency_id=receiving_agency(store, actor, agency),
        root=directory,
        device=device,
        officer=officer,
        manifest=load_manifest(manifest, tz=store.settings.tz) if manifest else None,
        patterns=load_patterns(_read_patterns(patterns)) if patterns else DEFAULT_PATTERNS,
        custodian=custodian,
        tolerance=timedelta(seconds=tolerance),
    )
    paths = list(list_files(directory, skip=[manifest] if manifest else []))
    _check_space(store, [p for p in paths if not escapes(p, directory)])
    bar: list[Progress] = []

    def progress(done: int, total: int) -> None:
        if not bar:
            bar.append(Progress("导入音像", total))
        bar[0].update_to(done)

    report = import_av(store, actor, paths, options, progress=progress)
    for b in bar:
        b.close()
    if as_json:
        emit_json({"directory": str(directory), **report.as_dict()})
    else:
        _print_report(report.as_dict())
    if report.count("rejected"):
        sys.exit(2)


def _check_space(store: Store, paths: list[Path]) -> None:
    """Refuse the whole run before copying anything when the disk cannot hold it."""
    import os

    from liuhen.services.av.upload_staging import require_space
    from liuhen.store.blobs.local import LocalBlobStore

    if not isinstance(store.blobs, LocalBlobStore):
        return  # S3 spools one file at a time: checked per file by the disk itself
    total = 0
    for path in paths:
        try:
            total += os.stat(path).st_size
        except OSError:
            continue  # reported per file by the import
    require_space(store.settings, total, copies=1, field="DIR")


def _receiver(store: Store, username: str | None) -> tuple[Actor, str]:
    """Who receives the footage: a named user (``--user``, else ``liuhen --as``), or the
    operator acting as custodian."""
    ctx = click.get_current_context(silent=True)
    username = username or (ctx.meta.get("liuhen.as_user") if ctx is not None else None)
    if username is None:
        import getpass

        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "unknown"
        label = f"命令行操作员（{who}，采集站导入）"
        return Actor(id=None, label=label, roles=("custodian",)), label
    from liuhen.services.admin.users import find_user

    user = find_user(store, username)
    if user is None or user.disabled:
        raise InvalidInput(f"--user: 用户 {username} 不存在或已停用")
    return user.actor, user.display_name


def _read_patterns(path: Path) -> list[Any]:
    from liuhen.rules.sources.yamlsource import load_yaml

    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InvalidInput(f"--patterns: 无法读取 {path}（{exc.strerror}）") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"--patterns: {path} 不是 UTF-8 文本") from None
    data, _, problems = load_yaml(text, str(path))
    if problems:
        raise InvalidInput(f"--patterns: {path} 不是有效的 YAML/JSON", details=problems)
    if isinstance(data, dict):
        data = data.get("patterns")
    if not isinstance(data, list):
        raise InvalidInput(f"--patterns: {path} 应为规则列表，或含 patterns 列表的对象")
    return data


def _print_report(report: dict[str, Any]) -> None:
    files = report["files"]
    if not files:
        click.echo("目录中没有文件。")
        return
    for f in files:
        label = STATUS_LABELS[f["status"]]
        if f["status"] == "rejected":
            click.echo(f"{label}  {f['file_name']}：{f['reason']}")
            continue
        facts = [KIND_LABELS.get(f["kind"] or "", "")]
        if f["start"]:
            facts.append(f"{f['start']} 起（时间来源：{_source(f['time_source'])}）")
        detail = "，".join(x for x in facts if x)
        tail = f"，音像记录 {f['record_id']}" if f["record_id"] else f"，{f['reason']}"
        if f.get("joined"):
            tail += f"，并入已存储的同一录像（原版本 {f['joined']}）"
        click.echo(f"{label}  {f['file_name']}（{detail}{tail}）")
        for warning in f["warnings"]:
            click.echo(f"    注意：{warning}")
    for rec in report["records"]:
        gaps = rec["gaps"]
        line = f"音像记录 {rec['record_id']}：{rec['title']}，{len(rec['segments'])} 段"
        line += f"，间断 {len(gaps)} 处" if gaps else "，连续"
        click.echo(line)
        for g in gaps:
            click.echo(
                f"    间断：{g['start']} 至 {g['end']}（{g['seconds']:.0f} 秒），须说明中止原因"
            )
    s = report["summary"]
    click.echo(
        f"共 {len(files)} 个文件：新存储 {s['new']}，已存在 {s['duplicate']}，拒收 {s['rejected']}"
    )
    if s["new"] == 0 and s["duplicate"]:
        click.echo("未存储任何新文件：已存储过的文件不会重复存储。")


def _source(code: str | None) -> str:
    from liuhen.media.naming import TIME_SOURCES

    return TIME_SOURCES.get(code or "", code or "未知")


# -- docking stations (采集站) and the upload staging area ----------------------------------
@click.group()
def station() -> None:
    """采集站接口令牌：签发、列出、吊销。"""


@station.command("add")
@click.argument("name")
@click.option("--user", "username", required=True, help="采集站以该账号（须有上传音像权限）上传")
@click.option("--device", default=None, help="默认设备编号（文件未带设备信息时采用）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def station_add(
    ctx: click.Context, name: str, username: str, device: str | None, as_json: bool
) -> None:
    """登记采集站 NAME 并签发令牌（令牌只显示这一次，请妥善配置到采集站）。"""
    from liuhen.cli.context import operator_actor
    from liuhen.services.av.stations import add_station

    store = open_store(ctx)
    made, token = add_station(store, operator_actor(), name=name, username=username, device=device)
    if as_json:
        emit_json({**made.as_dict(), "token": token})
        return
    click.echo(f"已登记采集站 {made.name}（{made.id}），以账号 {made.user.username} 上传")
    click.echo(f"令牌（只显示这一次）：{token}")
    click.echo("采集站请求时带上请求头：Authorization: Bearer <令牌>")


@station.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def station_list(ctx: click.Context, as_json: bool) -> None:
    """列出采集站（不显示令牌）。"""
    from liuhen.cli.context import operator_actor
    from liuhen.services.av.stations import list_stations

    rows = [s.as_dict() for s in list_stations(open_store(ctx), operator_actor())]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("尚未登记采集站。")
    for r in rows:
        state = f"已吊销（{r['revoked_at']}）" if r["revoked_at"] else "有效"
        click.echo(f"{r['id']}  {r['name']}  账号 {r['user']}  设备 {r['device'] or '—'}  {state}")


@station.command("revoke")
@click.argument("station_id")
@click.pass_context
def station_revoke(ctx: click.Context, station_id: str) -> None:
    """吊销采集站的令牌（此后该令牌的请求一律拒绝）。"""
    from liuhen.cli.context import operator_actor
    from liuhen.services.av.stations import revoke_station

    done = revoke_station(open_store(ctx), operator_actor(), station_id)
    click.echo(f"已吊销采集站 {done.name} 的令牌")


@click.command("clean-uploads")
@click.pass_context
def uploads_cmd(ctx: click.Context) -> None:
    """清除超过保留时间仍未完成的断点续传暂存文件，以及中断留下的暂存文件（服务启动和新建上传时也会自动清除）。"""
    from liuhen.cli.context import operator_actor
    from liuhen.services.av.shared_uploads import uploads_for
    from liuhen.services.av.upload_recovery import recover_uploads
    from liuhen.services.permissions import require

    require(operator_actor(), "device.manage")
    store = open_store(ctx)
    for message in recover_uploads(store):
        click.echo(message)
    removed = uploads_for(store).clean_expired()
    click.echo(f"已清除 {removed} 个过期的未完成上传。")
