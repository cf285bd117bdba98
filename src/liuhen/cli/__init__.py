"""The ``liuhen`` command. Each command calls one service; errors map to exit codes here.

Command names are fixed by DESIGN.md (operators script against them). Commands live in
small modules by area and are attached to the group in ``_COMMAND_MODULES``.
"""

from __future__ import annotations

import importlib
import json
import sys

import click

from liuhen.cli.context import AuditedGroup
from liuhen.errors import LiuhenError

_COMMAND_MODULES = (
    "liuhen.cli.setup_cmds",  # init, serve, demo
    "liuhen.cli.user_cmds",  # user add, disable, enable, reset-totp
    "liuhen.cli.case_cmds",  # cases
    "liuhen.cli.bundle_cmds",  # import, export-bundle
    "liuhen.cli.integrity_cmds",  # verify, ledger
    "liuhen.cli.rules_cmds",  # profiles, check
    "liuhen.cli.av_cmds",
    "liuhen.cli.footage_cmds",  # detect-faces
    "liuhen.cli.archive_cmds",  # export, case-file, verify-package, fixity
    "liuhen.cli.retention_cmds",  # file-case, retention, dispose
    "liuhen.cli.calendar_cmds",  # calendar show, calendar load
    "liuhen.cli.witness_cmds",  # witness serve, witness add, witness list
    "liuhen.cli.doctor_cmds",  # doctor
    "liuhen.cli.backup_cmds",  # backup, restore
    "liuhen.cli.gc_cmds",  # gc
    "liuhen.cli.jobs_cmds",  # jobs run
)

COMMAND_ACTIONS: dict[str, str | None] = {
    "init": None,  # creates the database and the first admin; nothing to guard yet
    "serve": None,  # the web app checks every request
    "profiles": None,  # reads policy files, no stored records
    "profiles lint": None,  # checks a policy file given on the command line
    "profiles diff": None,  # compares two policy files
    "check": None,  # checks bundle files given on the command line
    "verify-package": None,  # verifies an exported directory, no stored records
    "doctor": None,  # checks the machine and opens the store read-only, no records shown
    # backup and restore copy the whole store as files, for whoever holds the server's data
    # directory and database credentials (which no role grants or withholds); restore runs
    # before any user can be checked (after a disk loss there is no database yet). Both are
    # recorded on the ledger (store.backed_up, store.restored).
    "backup": None,
    "restore": None,
    # gc lists and deletes stored objects that no row refers to: the store's own housekeeping,
    # for whoever holds the data directory and the store's credentials; every deletion is
    # recorded (store.reclaimed).
    "gc": None,
    # jobs run does the cluster's queued jobs, each as the one who asked for it (their
    # permission was checked when they asked), and the scheduled ones as the system.
    "jobs run": None,
    "demo": "demo.load",
    "user add": "user.manage",
    "user disable": "user.manage",
    "user enable": "user.manage",
    "user reset-totp": "user.manage",
    "cases": "case.read",
    "import": "case.import",
    "export-bundle": "case.read",
    "verify": "integrity.verify",
    "ledger checkpoint": "ledger.checkpoint",
    "ledger proof": "ledger.read",
    "ledger rotate-key": "ledger.checkpoint",
    "witness serve": None,  # a witness holds no records; every request is judged by signatures
    "witness add": "ledger.checkpoint",
    "witness list": "ledger.read",
    "import-av": "av.upload",
    "detect-faces": "approval.decide",  # checked on the record's case
    "export": "case.export",
    "case-file": "case.export",
    "fixity": "integrity.fixity",
    "station add": "device.manage",
    "station list": "device.manage",
    "station revoke": "device.manage",
    "clean-uploads": "device.manage",  # housekeeping of every uploader's staging area
    "file-case": "case.export",
    "retention": "case.read",
    "dispose": "record.dispose",
    "calendar show": "case.read",
    "calendar load": "calendar.manage",
}
"""Each command's action (checked by the services it calls, with the case when it names
one); None for commands that read no stored records, and for the two the server's operator
runs on the whole store (``COMMAND_NOTES``). A test fails on a command not here."""

COMMAND_NOTES: dict[str, str] = {
    "backup": "服务器操作员复制整个存储（须持有数据目录与数据库凭据，不按角色授权），"
    "每次记入日志（`store.backed_up`）",
    "restore": "服务器操作员以备份取代整个存储（恢复时数据库可能尚不存在，无从按用户授权），"
    "记入日志（`store.restored`）",
    "gc": "服务器操作员清理文件存储中没有任何记录引用的文件（写入中断的残留；须持有数据目录与存储凭据，"
    "不按角色授权），每次删除记入日志（`store.reclaimed`）",
    "jobs run": "运行集群中等待的后台任务：每个任务在提交时已按提交人的权限检查，并以提交人的身份运行"
    "（计划任务以系统身份），所做的事照常记入日志",
}
"""What docs/permissions.md says of a command without an action when it does read or write
stored records (the rest "read no stored records")."""


@click.group(cls=AuditedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir", type=click.Path(file_okay=False), default=None, help="数据目录（LIUHEN_DATA_DIR）"
)
@click.option("--database-url", default=None, help="数据库地址（LIUHEN_DATABASE_URL）")
@click.option("--store-url", default=None, help="文件存储地址（LIUHEN_STORE_URL）")
@click.option(
    "--as",
    "as_user",
    default=None,
    envvar="LIUHEN_AS_USER",
    help="以该用户的角色与权限范围执行（LIUHEN_AS_USER）；不给则按服务器操作员（系统管理员）",
)
@click.version_option(package_name="liuhen")
@click.pass_context
def cli(
    ctx: click.Context,
    data_dir: str | None,
    database_url: str | None,
    store_url: str | None,
    as_user: str | None,
) -> None:
    """留痕 LiuHen：行政执法全过程记录系统。"""
    ctx.obj = {"data_dir": data_dir, "database_url": database_url, "store_url": store_url}
    if as_user:
        ctx.meta["liuhen.as_user"] = as_user


for _module in _COMMAND_MODULES:
    importlib.import_module(_module).register(cli)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the group, mapping LiuhenError to stderr and its exit code."""
    args = sys.argv[1:] if argv is None else argv
    try:
        try:
            cli.main(args=args, prog_name="liuhen", standalone_mode=False)
        except Exception as exc:  # a database failure outside the store's guards: one line
            from liuhen.store.db_errors import explain

            explained = explain(exc)
            if explained is None or explained is exc:
                raise
            raise explained from exc
    except LiuhenError as exc:
        if "--json" in args:
            click.echo(json.dumps(exc.to_dict(), ensure_ascii=False), err=True)
        else:
            click.echo(f"错误：{exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("已取消。", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
