"""``liuhen detect-faces RECORD``: find the faces in an AV record's video files ahead of a
party's copy (the same scan the review page starts as a background job; once per file, so
a copy request for the record later shows the proposals at once)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from liuhen.cli.context import Progress, emit_json, open_store, operator_actor

STATUS_LABELS = {
    "scanned": "已检测",
    "copied": "同一文件已检测过，沿用其结果",
    "done": "此前已检测",
}


def register(cli: click.Group) -> None:
    cli.add_command(detect_faces_cmd)


@click.command("detect-faces")
@click.argument("record")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def detect_faces_cmd(ctx: click.Context, record: str, as_json: bool) -> None:
    """检测音像记录 RECORD（记录编号）各视频文件中的人脸，作为当事人复制件的拟遮盖内容。

    每个文件只检测一次：已检测的文件不再读取，中断后再次运行只检测余下的文件。"""
    from liuhen.services.access.face_scans import scan_record

    store = open_store(ctx)
    report = scan_record(store, operator_actor(), record.strip(), progress=_reporter())
    if as_json:
        emit_json(report.as_dict())
        return
    click.echo(f"《{report.title}》（{report.record_id}）")
    for f in report.files:
        click.echo(f"  文件 {f['position']} {f['file_name']}：人脸 {f['faces']} 处，"
                   f"{STATUS_LABELS[f['status']]}")  # fmt: skip
    click.echo(f"新发现人脸 {report.new_faces} 处；审批人在复制申请的“审查录像遮盖”页面逐处确认。")


def _reporter() -> Callable[[float], None]:
    """Progress on stderr: a bar when a person watches, else a line every tenth."""
    bar = Progress("检测人脸", 100)
    shown = [-1]

    def report(share: float) -> None:
        percent = int(share * 100)
        bar.update_to(percent)
        if not sys.stderr.isatty() and percent // 10 > shown[0]:
            shown[0] = percent // 10
            click.echo(f"检测人脸：{percent}%", err=True)
        if percent >= 100:
            bar.close()

    return report
