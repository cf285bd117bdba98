"""Reference pages generated from the code, so docs cannot drift: settings, roles, errors.

    python -m liuhen.docgen          # rewrite docs/settings.md, permissions.md, errors.md
A test regenerates them and fails when a committed page is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from liuhen import errors
from liuhen.config import setting_docs
from liuhen.services.permissions import ACTIONS, MATRIX, ROLES


def settings_page() -> str:
    lines = [
        "# 设置 / Settings",
        "",
        "每个设置都可用环境变量给出；`--data-dir`、`--database-url`、`--store-url` 也可作为 `liuhen` 的命令行选项。",
        "设置有误时，程序在启动时以一行错误说明出错的设置名并退出（退出码 2）。",
        "",
        "| 变量 | 说明 |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {doc} |" for name, doc in setting_docs()]
    return "\n".join(lines) + "\n"


def permissions_page() -> str:
    roles = [r for r in ROLES]
    lines = [
        "# 角色与权限 / Roles and permissions",
        "",
        "每个网页路由与每个改变数据的命令行命令都经过同一个检查（`liuhen.services.permissions.require`）。",
        "命令行操作员（在服务器上运行 `liuhen` 的人）按系统管理员的权限执行；"
        "`liuhen import-av` 默认按档案/音像管理员（custodian）的权限导入，或按 `--user` 指定的用户。",
        "",
        "| 操作 | " + " | ".join(f"{ROLES[r]}<br>`{r}`" for r in roles) + " |",
        "|---" * (len(roles) + 1) + "|",
    ]
    for action, label in ACTIONS.items():
        cells = ["✔" if action in MATRIX[r] else "" for r in roles]
        lines.append(f"| {label} `{action}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def errors_page() -> str:
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.LiuhenError)
    ]
    lines = [
        "# 错误码 / Error codes",
        "",
        '命令行：错误写到标准错误输出，带 `--json` 时为一行 JSON `{"error", "message", "details"}`。',
        "HTTP API：同样的 JSON，状态码如下。",
        "",
        "| 错误码 | 类 | HTTP | 退出码 | 含义 |",
        "|---|---|---|---|---|",
    ]
    for c in classes:
        doc = (c.__doc__ or "").strip().splitlines()[0] if c.__doc__ else ""
        lines.append(f"| `{c.code}` | `{c.__name__}` | {c.http_status} | {c.exit_code} | {doc} |")
    return "\n".join(lines) + "\n"


PAGES = {
    "settings.md": settings_page,
    "permissions.md": permissions_page,
    "errors.md": errors_page,
}


def main(docs_dir: Path = Path("docs")) -> None:
    docs_dir.mkdir(exist_ok=True)
    for name, build in PAGES.items():
        (docs_dir / name).write_text(build(), encoding="utf-8")
        print(f"wrote {docs_dir / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
