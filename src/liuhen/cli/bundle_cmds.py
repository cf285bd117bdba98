"""``liuhen import BUNDLE...`` and ``liuhen export-bundle CASE``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from liuhen.cli.context import emit_json, open_store, operator_actor
from liuhen.errors import BundleInvalid, InvalidInput


def register(cli: click.Group) -> None:
    cli.add_command(import_cmd)
    cli.add_command(export_bundle)


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InvalidInput(f"BUNDLE: 无法读取 {path}（{exc.strerror}）") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleInvalid(f"BUNDLE: {path} 不是 UTF-8 JSON（{exc}）") from None
    except RecursionError:
        raise BundleInvalid(f"BUNDLE: {path} 嵌套过深，不是案件包") from None
    if not isinstance(data, dict):
        raise BundleInvalid(f"BUNDLE: {path}：$ 应为 JSON 对象")
    return data


@click.command("import")
@click.argument("bundles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_context
def import_cmd(ctx: click.Context, bundles: tuple[Path, ...], as_json: bool) -> None:
    """导入案件数据包（全部校验通过才写入；已导入的案件不重复导入）。"""
    from liuhen.services.cases.bundle_import import import_bundle

    store = open_store(ctx)
    datas = [(path, _read(path)) for path in bundles]
    results = []
    for path, data in datas:
        try:
            result = import_bundle(store, operator_actor(), data)
        except BundleInvalid as exc:
            raise BundleInvalid(f"{path}：{exc.message}", details=exc.details) from None
        results.append(
            {
                "bundle": str(path),
                "case_id": result.case_id,
                "number": result.number,
                "created": result.created,
            }
        )
    if as_json:
        emit_json({"imported": results})
        return
    for r in results:
        state = "已导入" if r["created"] else "已存在，未重复导入"
        click.echo(f"{r['number']}：{state}（{r['case_id']}）")


@click.command("export-bundle")
@click.argument("case")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="写入文件（默认输出到屏幕）",
)
@click.pass_context
def export_bundle(ctx: click.Context, case: str, out: Path | None) -> None:
    """把案件 CASE（标识或编号）导出为案件数据包 JSON。"""
    from liuhen.services.cases.bundles import export_bundle as export
    from liuhen.services.cases.cases import find_case

    store = open_store(ctx)
    bundle = export(store, operator_actor(), find_case(store, case))
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"已导出到 {out}", err=True)
