"""The 案卷评查表 chapter of docs/rules.md: how an agency writes its ``score_sheet``, and
each shipped profile's sheet, line by line with its source."""

from __future__ import annotations

from collections.abc import Iterable

from liuhen.rules.engine.profile import Profile
from liuhen.rules.scoring import Line, ScoreSheet, plain

GUIDE = [
    "## 案卷评查表 / Case-file score sheet",
    "",
    "评议考核（如 002§35）按评查表给每一份已结案的案卷打分。评查表是制度配置的一部分（`score_sheet`），"
    "各机关按本机关的制度修改，不改代码：",
    "",
    "- `categories`：类别（执法主体、程序、证据、适用法律、文书、全过程记录、归档）及其分值；",
    "- `lines`：评查项目。每项写明类别、名称和所依据的条文（`citation`，必填，只能出自本配置的制度"
    "或国家法律），以及计分方法：按评查发现扣分（`rules`：哪些规则的发现，`deduct`：每项扣几分，"
    "`max`：最多扣几分），评查人人工评分（`manual: true`，`max`），或一票否决（`veto: true`：出现即不合格）；",
    "- `unlisted`：没有列入任何项目的规则，其违规发现按严重程度在哪一类扣几分；",
    "- `bands`：等次及其最低分（优秀、合格、不合格）；有一票否决项的为最低等次。",
    "",
    "子配置的 `score_sheet` 与上级合并：给出的 `title`、`citation`、`bands`、`categories`、`unlisted` "
    "取代上级的；`lines` 按编号合并（同编号的项目覆盖上级，新编号的新增），`disable: [项目编号]` 删去上级的"
    "项目。载入时缺少依据的项目被拒绝（文件、行号、YAML 路径，如 `score_sheet.lines[2]`）；"
    "`liuhen profiles lint` 还列出引用其他机关制度的项目、不存在的规则和被两个项目重复扣分的规则。",
    "",
    "案件结案后，评查表由其评查发现计算（每一项扣分都链接到其发现）；人工项目由评查人（法制审核人员、"
    "机关负责人、监督人员，`case.review`）评分并签名，每次签名保存为新版本并记入全过程日志"
    "（`case.reviewed`）。评查表可下载 PDF 和 Excel，签名后的评查表装入案卷副卷；监督看板的"
    "“案卷评查统计”按科室和执法人员汇总当年的得分。",
    "",
]


def sheet_chapter(profiles: Iterable[Profile]) -> list[str]:
    """The guide, then each shipped profile's sheet (abstract ones left out)."""
    lines = list(GUIDE)
    for p in profiles:
        if p.abstract or p.score_sheet is None:
            continue
        lines += _sheet(p.name, p.id, p.score_sheet)
    return lines


def _sheet(name: str, profile_id: str, sheet: ScoreSheet) -> list[str]:
    bands = "；".join(f"{b.grade} ≥ {plain(b.min)}" for b in sheet.bands)
    lines = [
        f"### {sheet.title}：{name}（`{profile_id}`）",
        "",
        f"依据 {sheet.citation or '—'}；满分 {plain(sheet.points)}；等次：{bands}；"
        + "未列入项目的规则："
        + "、".join(f"{k} 扣 {plain(v)}" for k, v in sheet.unlisted.items()),
        "",
        "| 类别 | 项目 | 依据 | 计分 |",
        "|---|---|---|---|",
    ]
    for c in sheet.categories:
        for line in [x for x in sheet.lines if x.category == c.id]:
            lines.append(
                f"| {c.name}（{plain(c.points)}） | {line.title} | {line.citation} | {_how(line)} |"
            )
    return [*lines, ""]


def _how(line: Line) -> str:
    if line.veto:
        return "一票否决" + ("（评查人判定）" if line.manual else f"：{', '.join(line.rules)}")
    if line.manual:
        return f"人工评分，最多扣 {plain(line.max or 0)}"
    cap = f"，最多扣 {plain(line.max)}" if line.max else ""
    return f"每项扣 {plain(line.deduct)}{cap}：{', '.join(line.rules)}"
