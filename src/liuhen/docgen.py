"""Reference pages generated from the code, so docs cannot drift: settings, roles, errors.

    python -m liuhen.docgen          # rewrite docs/settings.md, permissions.md, errors.md
A test regenerates them and fails when a committed page is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from liuhen import errors
from liuhen.config import setting_docs
from liuhen.services.permissions import (
    ACTIONS,
    CONFIDENTIALITY,
    GRANTS,
    ROLES,
    SCOPES,
    WRITE_ACTIONS,
)

SCOPE_SHORT = {"own": "本人", "section": "本科室", "agency": "本机关", "all": "全部"}


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
    lines += [
        "",
        "## 在反向代理之后以 https 对外服务",
        "",
        "由 nginx 等反向代理终止 https、再以 http 转给 `liuhen serve` 时：代理须设置 "
        "`X-Forwarded-Proto: https`（及 `X-Forwarded-For`），代理的地址须列在 `LIUHEN_TRUSTED_PROXIES` 中"
        "（代理在本机时默认即可）。这样登录 Cookie 带 Secure 标志，只经 https 发送；"
        "不受信任的地址发来的这些请求头一概不予理会。也可设置 `LIUHEN_COOKIE_SECURE=always`，"
        "无论请求如何到达都带 Secure（此时不能再经 http 登录）。`LIUHEN_ENV=production` 总是带 Secure，"
        "并发送 Strict-Transport-Security。",
        *CLUSTER_SECTION,
    ]
    return "\n".join(lines) + "\n"


CLUSTER_SECTION = [
    "",
    "## 多个节点共用一个库：签名密钥与检查点记录",
    "",
    "多个 `liuhen serve` 节点（以及在其他机器上运行的 `liuhen import-av`、`liuhen import` 等命令）",
    "共用一个 PostgreSQL 数据库和一个 S3 存储（`LIUHEN_STORE_URL=s3://桶/前缀`）时：",
    "",
    "- **签名密钥只有一把，从一处保管处安装到每个节点。** 日志由第一次 `liuhen init` 开始，所用签名密钥的指纹记在日志事件 #0（轮换之后，为最新的 `ledger.key_rotated` 事件所记的新密钥）。每个节点的 `$LIUHEN_DATA_DIR/keys/ledger-ed25519.pem` 都须是这把密钥：从密钥保管处（保管介质，或已在运行的节点的 `keys/` 目录）复制过去，仅属主可读；密钥加密保存时，各节点设置同一口令文件 `LIUHEN_KEY_PASSPHRASE_FILE`。在数据库已有日志的新节点上运行 `liuhen init` 不会生成新密钥，而是以一行说明须安装哪把密钥（指纹）、装到哪里，退出码 2；装好后再运行 `liuhen init` 即可。",
    "- **密钥不符的节点拒绝启动。** `liuhen serve` 和每个会写入的命令（`verify`、`ledger proof`、`clean-uploads`、`gc` 以外的命令）启动时、签名任何东西之前，先核对本节点的签名密钥是否为日志的密钥：不符则一行报错（两个指纹与安装方法），退出码 2。`liuhen verify` 照常运行并报告。轮换密钥（`liuhen ledger rotate-key`）后，须把新密钥装到其他每个节点。",
    "- **检查点记录只有一份，在存储桶中。** 存储为 S3 时，数据库之外的检查点记录不再是各节点数据目录下的 `checkpoints.jsonl`（每个节点只会有自己签名的检查点，`verify` 会在每个节点报告缺失），而是存储桶中的 `<前缀>/checkpoint-log/`：每个检查点一个对象，写入后不再改动；每个节点写入、在任何节点运行的 `liuhen verify` 读取同一份。原先用本地文件的库改用 S3 存储后，下次启动时以该节点的 `checkpoints.jsonl` 开始这份记录，再从数据库补上中断所缺的检查点。见证（`LIUHEN_WITNESS_DIR`、`liuhen witness add`）照旧另存一份，各节点设置相同。",
    "- **断点续传的暂存也在存储桶中**，上传可在任一节点续传（见 [upload.md](upload.md)）。",
    "- 在各节点设置相同的 `LIUHEN_LEDGER_FINGERPRINT`，`verify` 可发现整个日志连同事件 #0 被另一把密钥重签。",
]
"""The settings page's section on several nodes sharing one store (key and checkpoint log)."""


def _command_rows() -> list[str]:
    from liuhen.cli import COMMAND_ACTIONS, COMMAND_NOTES

    return [
        f"| `liuhen {command}` | "
        + (
            f"{ACTIONS[action]} `{action}`"
            if action
            else COMMAND_NOTES.get(command, "不读取已存记录，无需授权")
        )
        + " |"
        for command, action in sorted(COMMAND_ACTIONS.items())
    ]


def permissions_page() -> str:
    lines = [
        "# 角色与权限 / Roles and permissions",
        "",
        "每个网页路由、每个接口与每个命令行命令都经过同一个检查"
        "（`liuhen.services.permissions.require(actor, action, case=None)`）：",
        "角色是否有该操作的授权，授权范围（本人案件、本科室、本机关、全部机关）是否覆盖该案件，"
        "案件的密级/敏感标记是否允许该用户查阅。被拒绝的尝试记入全过程日志（`access.denied`），"
        "用户看到中文的 403 页面或 JSON。案件列表只列出范围内的案件。",
        "",
        "## 操作 × 角色 × 范围",
        "",
        "表中注明每个角色对每个操作的授权范围；空白表示无权。"
        + "；".join(f"**{SCOPE_SHORT[k]}**＝{v}" for k, v in SCOPES.items())
        + "。",
        "“本人案件”指用户立案的案件，或用户（作为执法人员）参与其执法环节的案件。",
        "",
        *_grant_rows(),
        "",
        "监督人员（`supervisor`）可调阅本机关的任何案件，但只读：其授权不含任何改变案件记录的操作，"
        "所有写入案件的路由均拒绝（实时调阅，000§18、003§19）；唯一的例外是案卷评查"
        "（`case.review`）：对已结案的案卷人工评分并签名（评议考核，002§35），评查结果另存于案件之外，"
        "不改变案件的任何记录。",
        "",
        "## 密级与敏感标记",
        "",
        "案件可标注下列标记（`cases.confidentiality`）。标记收窄可查阅的人：本案承办人员"
        "（立案人与参与执法环节的执法人员）在其授权范围内始终可查阅；"
        "其他人须其角色列于该案每一个标记之下。未列出的标记只允许本案承办人员查阅。",
        "",
        "| 标记 | 承办人员之外可查阅的角色 | 依据 |",
        "|---|---|---|",
        *_confidentiality_rows(),
        "",
        *_routes_and_commands(),
        "",
        *_authorisations_and_login(),
    ]
    return "\n".join(lines) + "\n"


def _grant_rows() -> list[str]:
    """The table of actions × roles, each cell the role's scope for the action."""
    roles = list(ROLES)
    lines = [
        "| 操作 | " + " | ".join(f"{ROLES[r]}<br>`{r}`" for r in roles) + " | 改变数据 |",
        "|---" * (len(roles) + 2) + "|",
    ]
    for action, label in ACTIONS.items():
        cells = [SCOPE_SHORT.get(GRANTS[r].get(action, ""), "") for r in roles]
        write = "是" if action in WRITE_ACTIONS else ""
        lines.append(f"| {label} `{action}` | " + " | ".join(cells) + f" | {write} |")
    return lines


def _confidentiality_rows() -> list[str]:
    lines = []
    for mark, rule in CONFIDENTIALITY.items():
        who = "、".join(f"{ROLES[r]}（`{r}`）" for r in rule["roles"])
        lines.append(f"| {mark} | {who} | {rule['citation']} |")
    return lines


def _routes_and_commands() -> list[str]:
    """How routes and CLI commands declare their action, with the commands' table."""
    return [
        "## 路由如何声明操作",
        "",
        '每个路由以依赖 `Depends(permission("操作"))`（`liuhen.web.auth.permission`）声明其操作。'
        "该依赖从路径参数找到所涉案件（`CASE_PARAMS`：`case_ref`、`record_id`、`approval_id`、"
        "`request_id`），再调用 `require(actor, 操作, case)`。"
        "新增的路径参数若指向属于案件的对象，须在 `CASE_PARAMS` 中登记如何找到其案件。"
        "任何已登录用户均可使用的路由用 `Depends(current_user)` 并列入 `SIGNED_IN_ROUTES`；"
        "无需登录的路由列入 `PUBLIC_ROUTES`（仅登录、第二步验证、健康检查、静态文件、首页跳转，"
        "以及经批准、有期限的分享链接 `/share/{token}`）。"
        "授权测试遍历应用的全部路由，任何未声明的路由都使测试失败。",
        "",
        "尚未关联案件的音像记录没有案件可依，其范围取该音像所属的机关：采集设备登记的机关；"
        "设备未登记时为接收该音像的机关（上传人或 `liuhen import-av` 接收人所属的机关，"
        "或 `--agency` 指定的机关），再次为上传人的机关；上传人即视为“本人”（`footage_scope`）。"
        "不知属于哪个机关的音像（早先由服务器操作员导入的）只有上传人和授权范围为“全部”的角色可以查阅，"
        "任何机关的人员都看不到、打不开、下载不了。"
        "处置这种音像的审批不属于任何案件，按其所涉记录的范围决定谁可审批。",
        "",
        "凡能按标识找到的对象（案件、记录、文件、音像、上传、分享链接、审批、后台任务）都按其所属案件"
        "（或上述音像的机关）经同一检查判定；查询字符串和表单中的案件标识（如 `/uploads?case=`）"
        "与路径中的一样检查。表单和请求正文里指向其他对象的标识（执法环节的执法人员、执行情况的相关文书、"
        "查阅/复制申请的记录、归档移交的档案管理员、上传时的设备与执法人员）必须属于本案或本机关，"
        "其他机关的一律按“不属于本案/本机关”拒绝，什么也不写入。"
        "拒绝信息只在本机关之内写出案件编号：对其他机关的案件或音像，"
        "只说“其他机关的案件”“该音像记录（本机关之外）”，不透露其编号、名称或时间。",
        "",
        "命令行命令在 `liuhen.cli.COMMAND_ACTIONS` 中声明其操作。"
        "`liuhen --as 用户名` 以该用户的角色与范围执行；不给时按服务器操作员执行"
        "（系统管理员的权限，不受机关范围限制，但同样受密级标记限制）。"
        "`liuhen import-av` 默认按档案/音像管理员（custodian）的权限导入，或按 `--user` 指定的用户；"
        "接收机关为 `--agency` 指定的机关、接收人所属的机关，或系统中唯一的机关，都不能确定时拒绝导入"
        "（退出码 2），什么也不读取。用户只能为本机关接收。目录中指向目录之外的符号链接不读取，报告为拒收。",
        "",
        "| 命令 | 所需操作 |",
        "|---|---|",
        *_command_rows(),
    ]


def _authorisations_and_login() -> list[str]:
    return [
        "## 越过评查提示（`gate.override`）",
        "",
        "作出决定（制作决定书）、结案、归档移交三个步骤，在制度配置中拦截该步骤的规则（`blocks`）尚有"
        "未解决的评查发现时被拒绝，拒绝信息逐项列出发现及所引条文（`gate_blocked`，409，退出码 2），"
        "什么也不保存。网页、接口和命令行都经同一服务，所以同样拦截。只有机关负责人（`head`，本机关）"
        "可以越过提示：在案件页“下一步”打开“越过提示”页（`/cases/{case_ref}/override`），看到当时未解决的"
        "发现，填写该步骤的内容并说明理由；命令行以 `liuhen --as 负责人 file-case … --override-reason 理由`。"
        "越过时负责人代为办理该步骤（无须另有“制作执法文书与记录”的授权），理由和当时未解决的发现在"
        "同一事务中记入全过程日志（`case.gate_overridden`），显示在案件时间线和案卷备考表的"
        "“越过提示的决定”中。执法人员等其他角色不能越过提示。",
        "",
        "## 授权（经主要负责人授权的审批）",
        "",
        "制度中写明“经主要负责人授权”的审批人（如山西林业局分管负责人批准查阅/复制申请，004§37），"
        "须有登记在案的书面授权：主要负责人在“授权”页面（`/authorisations`，操作 "
        "`authorisation.grant`）登记被授权人、审批身份、事项、起止时间和授权书文号，可随时撤销；"
        "审批时系统核对该时刻有效的授权，没有则拒绝并说明。授权与撤销只增不改，均记入全过程日志"
        "（`authorisation.granted`、`authorisation.revoked`）。角色不区分主要负责人与其他负责人："
        "任何机关负责人账号都能登记授权（不能授权给自己），登记人的姓名随授权保存。",
        "",
        "## 登录",
        "",
        "系统管理员、机关负责人、档案/音像管理员账号在密码之后须输入动态验证码（TOTP）；"
        "首次登录时绑定验证器（二维码或密钥，`liuhen user add` 亦输出密钥）。"
        "15 分钟内 5 次密码或验证码错误即暂时锁定，直到其中最早的一次满 15 分钟；"
        "同时到达的尝试也一样：每次核对密码或验证码之前先在数据库中占用该账号的 5 个名额之一"
        "（条件插入/更新，`store/throttle.py`），占不到即按锁定拒绝、不核对，"
        "所以无论多少并发请求、多少服务进程，每个账号在一个时段内至多核对 5 次；核对成功的归还名额。会话空闲超时后失效，登录时轮换，改密或停用时注销；"
        "经 https 访问时 Cookie 带 Secure 标志：包括由受信任的反向代理（`LIUHEN_TRUSTED_PROXIES`）"
        "以 `X-Forwarded-Proto: https` 转来的请求；`LIUHEN_COOKIE_SECURE=always` 或生产环境总是带。",
        "",
        *_accounts(),
    ]


def _accounts() -> list[str]:
    return [
        "## 账户管理与修改密码",
        "",
        "每个已登录用户都可在“修改密码”（`/account/password`）输入当前密码和两次新密码修改自己的密码"
        "（至少 10 位，含大写字母、小写字母、数字、符号中的至少三类）；当前密码输错与登录输错一样计入"
        "锁定次数并记入日志（`auth.password_change_failed`），什么也不改。改成后该用户在其他设备上的登录"
        "全部退出（`user.password_changed`）。",
        "",
        "有“管理用户”（`user.manage`）授权的角色在“账户管理”（`/users`）查看账户（用户名、姓名、角色、"
        "启用或停用、动态验证码是否绑定、最近登录）：授权范围为“全部”的看到每个机关的账户，"
        "范围为“本机关”的只看到、只能改本机关的账户，其他机关的账户一律拒绝（403）。"
        "每个账户可停用（其登录立即全部退出，`user.disabled`）、启用（`user.enabled`）、"
        "重置密码（管理员设置临时密码，登录立即退出；本人下次登录输入临时密码后先设置自己的新密码，"
        "其他页面都打不开，`user.password_reset`）、重置动态验证码（原验证器作废，登录立即退出，"
        "下次登录时重新绑定，`user.totp_reset`）、修改角色（`user.roles_changed`，记下改前改后；"
        "新增须动态验证码的角色时登录立即退出）。每项都在确认页提交，停用、重置和修改角色须填写原因，"
        "原因与操作人记入日志。管理员不能停用自己、不能取消自己的管理员角色；"
        "最后一个启用的系统管理员账户不能被停用或取消管理员角色。"
        "命令行另有 `liuhen user disable`、`liuhen user enable`、`liuhen user reset-totp`"
        "（如唯一的管理员丢失了验证器）。",
        "",
        "两位管理员同时改同一账户时不会互相覆盖：每项操作先锁定该账户的行，再核对确认页打开时的账户版本；"
        "其间已被他人改过的，后提交的一方收到冲突提示（409），什么也不改。",
    ]


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
        "检查类命令（`liuhen verify`、`liuhen verify-package`、`liuhen fixity`）检查完毕而发现问题时，"
        f"照常输出报告，退出码为 {errors.PROBLEMS_FOUND}（不是错误，不输出调用栈）。",
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
