"""``liuhen export CASE --out DIR``, ``liuhen case-file CASE --out FILE``,
``liuhen verify-package DIR`` (no database needed) and ``liuhen fixity``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from liuhen.cli.context import Progress, emit_json, open_store, operator_actor
from liuhen.errors import PROBLEMS_FOUND

if TYPE_CHECKING:
    from liuhen.archive.items import CaseFileOptions

ORDERS = {"category": "按文书类别（正卷、副卷）", "chronological": "按程序时间顺序"}


def register(cli: click.Group) -> None:
    cli.add_command(export_cmd)
    cli.add_command(case_file_cmd)
    cli.add_command(verify_package_cmd)
    cli.add_command(fixity_cmd)


def _options(order: str) -> CaseFileOptions:
    from liuhen.archive.items import CaseFileOptions

    return CaseFileOptions(chronological=order == "chronological")


_order_option = click.option(
    "--order",
    type=click.Choice(sorted(ORDERS)),
    default="category",
    show_default=True,
    help="卷内文件排列：category 按文书类别，chronological 按程序时间",
)


class _Bar:
    """A byte progress bar for (done, total) callbacks, opened on the first call."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Progress | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = Progress(self.label, total)
        self.bar.update_to(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command("export")
@click.argument("case")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="归档包目录（新目录）")
@_order_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def export_cmd(ctx: click.Context, case: str, out: Path, order: str, as_json: bool) -> None:
    """把案件 CASE（标识或编号）导出为电子归档包（BagIt，含案卷 PDF、原件、日志与证明）。"""
    from liuhen.services.archiving.packages import export_package
    from liuhen.services.cases.cases import find_case

    store = open_store(ctx)
    bar = _Bar("复制文件")
    try:
        result = export_package(
            store,
            operator_actor(),
            find_case(store, case),
            out,
            options=_options(order),
            progress=bar,
        )
    finally:
        bar.close()
    if as_json:
        emit_json(result.to_dict())
        return
    click.echo(f"已导出 {result.number}《{result.title}》到 {result.out}")
    click.echo(
        f"案卷 {result.items} 件 {result.pages} 页；归档包文件 {result.package_files} 个"
        f"（{result.package_bytes} 字节），其中存储的原件 {result.files} 个（{result.bytes} 字节）；"
        f"日志事件 #{result.event_seq}，检查点 {result.tree_size} 条事件"
    )
    click.echo(_four_line(result.four_properties))
    click.echo(f"签名公钥指纹：{result.key_fingerprint}")
    click.echo(f"核验：liuhen verify-package {result.out}")


def _four_line(summary: dict[str, object]) -> str:
    """四性检测：真实性 通过，完整性 通过（1 项提示）… from a report summary."""
    parts = []
    for key in ("authenticity", "integrity", "usability", "security"):
        p = summary[key]
        assert isinstance(p, dict)
        state = "通过" if p["ok"] else f"未通过 {p['failed']} 项"
        if p["warnings"]:
            state += f"（{p['warnings']} 项提示）"
        parts.append(f"{p['name']} {state}")
    return "四性检测（DA/T 70）：" + "，".join(parts)


@click.command("case-file")
@click.argument("case")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PDF 文件"
)
@_order_option
@click.pass_context
def case_file_cmd(ctx: click.Context, case: str, out: Path, order: str) -> None:
    """生成案件 CASE 的案卷 PDF（封面、卷内目录、文书、音像资料说明、备考表）。"""
    from liuhen.services.archiving.packages import case_file_pdf
    from liuhen.services.cases.cases import find_case

    store = open_store(ctx)
    case_file = case_file_pdf(
        store,
        operator_actor(),
        find_case(store, case),
        options=_options(order),
    )
    out.write_bytes(case_file.pdf)
    click.echo(
        f"已生成《{case_file.title}》案卷：{len(case_file.items)} 件，共 {case_file.total_pages} 页 → {out}"
    )


@click.command("verify-package")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option(
    "--fingerprint",
    default=None,
    metavar="SHA256:…",
    help="执法机关公布的签名公钥指纹；给出时，不符即判为未通过",
)
@click.option(
    "--four-properties",
    "four",
    is_flag=True,
    help="同时给出四性检测（DA/T 70）报告（不影响退出码）",
)
@click.option(
    "--seal-ca",
    "seal_ca",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="执法机关公布的电子印章根证书（PEM）；给出时，案卷印章须由它签发",
)
@click.option(
    "--tsa-ca",
    "tsa_ca",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="时间戳服务的根证书（PEM）；给出时，案卷和文书的印章须带由它签发的 RFC 3161 时间戳",
)
@click.option(
    "--witness",
    "witnesses",
    multiple=True,
    metavar="VKEY",
    help="见证（如上级司法行政部门）的副署公钥：要求该见证副署了本包所依据的检查点，可多次给出",
)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def verify_package_cmd(
    directory: Path,
    fingerprint: str | None,
    four: bool,
    seal_ca: Path | None,
    tsa_ca: Path | None,
    witnesses: tuple[str, ...],
    as_json: bool,
) -> None:
    """离线核验电子归档包 DIR（不需要数据库）：退出码 0 完好，1 发现问题，2 无法读取。"""
    from liuhen.archive.verify_package import verify_package
    from liuhen.errors import InvalidInput
    from liuhen.ledger.note import parse_vkey

    pinned = _seal_ca(seal_ca) if seal_ca is not None else None
    stamped = _seal_ca(tsa_ca, "--tsa-ca") if tsa_ca is not None else None
    for given in witnesses:
        try:
            parse_vkey(given)
        except ValueError as exc:
            raise InvalidInput(f"--witness: {given!r} 不是见证公钥（vkey）：{exc}") from None
    bar = _Bar("核验文件")
    try:
        report = verify_package(
            directory,
            expected_fingerprint=fingerprint,
            four_properties=four,
            progress=bar,
            seal_ca=pinned,
            tsa_ca=stamped,
            witnesses=list(witnesses),
        )
    finally:
        bar.close()
    if as_json:
        emit_json(report.to_dict())
        sys.exit(0 if report.ok else PROBLEMS_FOUND)
    _print_summary(report, pinned=bool(fingerprint))
    first = report.first_problem
    if first is None:
        click.echo("核验通过：归档包完整，未被改动。")
        sys.exit(0)
    click.echo(
        f"核验未通过：发现 {len(report.problems)} 处问题。第一处：{first.item}：{first.message}"
    )
    for p in report.problems[1:]:
        click.echo(f"  [{p.kind}] {p.item}：{p.message}")
    sys.exit(PROBLEMS_FOUND)


def _print_summary(report: Any, *, pinned: bool) -> None:
    """What ``verify-package`` found, before its verdict: the case, the files and events,
    the checkpoint, the key, the notes and the 四性 report when asked for."""
    case = report.case
    if case:
        click.echo(f"案件：{case.get('number', '')}《{case.get('title', '')}》")
    click.echo(
        f"文件 {report.files} 个（{report.bytes} 字节）；日志事件 {report.events} 条，"
        f"包含证明通过 {report.proofs_verified} 条"
    )
    if report.checkpoint:
        click.echo(
            f"检查点：{report.checkpoint['tree_size']} 条事件，根哈希 {report.checkpoint['root_hash']}，"
            f"签署于 {report.checkpoint['timestamp']}"
        )
    click.echo(f"签名公钥指纹：{report.key_fingerprint or '（无）'}")
    if not pinned:
        click.echo("请将此指纹与执法机关公布的公钥指纹核对：一致才说明包确由该机关签发。")
    for note in report.notes:
        click.echo(f"提示：{note}")
    if report.four_properties:
        click.echo(_four_line(report.four_properties["summary"]))
        for check in report.four_properties["checks"]:
            if not check["ok"]:
                level = "未通过" if check["level"] == "error" else "提示"
                click.echo(f"  [{level}] {check['item']}：{check['detail']}")


@click.command("fixity")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="本次最多复核的文件数")
@click.option(
    "--rate",
    type=click.IntRange(min=0),
    default=None,
    help="读取限速 MB/秒（0 不限速；默认取 LIUHEN_FIXITY_RATE_MB）",
)
@click.option(
    "--due-only", is_flag=True, help="只复核超过复核周期（LIUHEN_FIXITY_CYCLE_DAYS）的文件"
)
@click.pass_context
def fixity_cmd(
    ctx: click.Context, as_json: bool, limit: int | None, rate: int | None, due_only: bool
) -> None:
    """按“最久未复核者优先”重新计算存储文件的摘要：退出码 0 完好，1 发现损坏。"""
    from liuhen.services.archiving.fixity import run_fixity

    store = open_store(ctx)
    bar = _Bar("复核文件")
    try:
        report = run_fixity(
            store, operator_actor(), limit=limit, rate_mb=rate, due_only=due_only, progress=bar
        )
    finally:
        bar.close()
    if as_json:
        emit_json(report.to_dict())
        sys.exit(0 if report.ok else PROBLEMS_FOUND)
    click.echo(
        f"复核 {report.checked} 个文件（{report.bytes} 字节），共登记 {report.blobs} 个；"
        f"复核周期 {report.cycle_days} 天，超期未复核：复核前 {report.overdue_before} 个，复核后 {report.overdue_after} 个"
    )
    if report.disposed:
        click.echo(f"另有 {report.disposed} 个文件已按审批处置（有处置记录），不再复核。")
    click.echo(f"本次复核已记入全过程日志（事件 #{report.event_seq}）。")
    if report.ok:
        click.echo("未发现损坏。")
        sys.exit(0)
    click.echo(f"发现 {len(report.damaged)} 个文件损坏：")
    for d in report.damaged:
        click.echo(f"  文件 {d.sha256}：{d.message}")
        for use in d.uses:
            click.echo(
                f"    案件 {use['case_number'] or '（无）'}，记录《{use['record_title']}》（{use['record_id']}），文件名 {use['file_name']}"
            )
    sys.exit(PROBLEMS_FOUND)


def _seal_ca(path: Path, flag: str = "--seal-ca") -> bytes:
    """The PEM of ``--seal-ca`` (or ``flag``), checked to be a certificate (one line, exit 2,
    if not)."""
    from cryptography import x509

    from liuhen.errors import InvalidInput

    try:
        data = path.read_bytes()
        x509.load_pem_x509_certificate(data)
    except OSError as exc:
        raise InvalidInput(f"{flag}: 无法读取 {path}（{exc.strerror}）") from None
    except ValueError:
        raise InvalidInput(f"{flag}: {path} 不是 PEM 格式的证书") from None
    return data
