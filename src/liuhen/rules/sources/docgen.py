"""Generating docs/rules.md and the shipped article texts from the profiles and regulations.

``scripts/gen_rules_doc.py`` runs this; a test regenerates and compares, so the catalogue
is never stale. The regulation files live outside the package (../shared/regulations); the
article texts extracted from them are kept in ``data/regulations.json`` for runtime.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from liuhen.rules.engine.profile import Profile
from liuhen.rules.engine.registry import COMMON_MESSAGE_VARS, RULE_TYPES
from liuhen.rules.sources import articles
from liuhen.rules.sources.score_sheet_doc import sheet_chapter

GATE_NAMES = {"decide": "决定", "close": "结案", "file": "归档"}
"""Short names of ``vocab.GATES`` for the catalogue's table."""
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_ARTICLE = re.compile(r"^\s*第([一二三四五六七八九十百]+)条\s*")
_ITEM = re.compile(r"^\s*([一二三四五六七八九十]+)\s*、\s*")
_CHAPTER = re.compile(r"^\s*第[一二三四五六七八九十]+章")
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")
REGULATION_TITLES = {
    "000": "某镇人民政府行政执法全过程记录办法（依《山西省行政执法全过程记录办法》）",
    "001": "彭阳县某局行政执法全过程记录制度",
    "002": "乡镇行政执法全过程记录办法",
    "003": "永济市张营镇行政执法全过程记录办法（试行）",
    "004": "山西省林业和草原局行政执法全过程记录实施办法",
}


def chinese_number(text: str) -> int:
    """一 .. 九十九 (enough for article numbers)."""
    if "十" not in text:
        return _DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


def extract_articles(text: str) -> dict[str, str]:
    """Article number -> text. Handles 第X条 files and 000's "X、" items; joins broken lines."""
    pattern = _ARTICLE if re.search(r"(?m)^\s*第一条", text) else _ITEM
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        if _CHAPTER.match(line):
            continue
        m = pattern.match(line)
        if m is not None:
            number = str(chinese_number(m.group(1)))
            if number not in out:
                current = number
                out[current] = [line[m.end() :]]
                continue
        if current is not None and line.strip():
            out[current].append(line)
    return {
        k: _CJK_GAP.sub("", "".join(part.strip() for part in v)).strip() for k, v in out.items()
    }


def find_regulations_dir(start: Path) -> Path | None:
    for base in (start, *start.parents):
        for candidate in (base / "shared" / "regulations", base.parent / "shared" / "regulations"):
            if candidate.is_dir() and any(candidate.glob("000_*.txt")):
                return candidate
    return None


def regulations_data(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path in sorted(directory.glob("[0-9][0-9][0-9]_*.txt")):
        code = path.name[:3]
        data[code] = {
            "title": REGULATION_TITLES.get(code, path.stem),
            "file": path.name,
            "articles": extract_articles(path.read_text(encoding="utf-8")),
        }
    return data


def provision_citations(provisions_md: str) -> list[str]:
    """Every ``file§article`` named in sections 2–8 of PROVISIONS.md (``§14`` after ``002§11``
    continues the same file)."""
    sections = re.split(r"(?m)^## ", provisions_md)
    wanted = [s for s in sections if re.match(r"[2-8]\. ", s)]
    found: dict[str, None] = {}
    for section in wanted:
        for row in re.finditer(r"(?m)^\| (\d{3}) \|(.*)$", section):
            for number in re.findall(r"(?<!\d)§(\d+)", row.group(2)):
                found.setdefault(f"{row.group(1)}§{number}", None)
        for run in re.finditer(r"(\d{3})§\d+(?:\s*(?:,|，|、|and)\s*§\d+)*", section):
            source = run.group(1)
            for number in re.findall(r"§(\d+)", run.group(0)):
                found.setdefault(f"{source}§{number}", None)
    return list(found)


def not_decidable() -> list[dict[str, str]]:
    from importlib import resources

    text = resources.files("liuhen.rules").joinpath("data/not_decidable.yaml").read_text("utf-8")
    items: list[dict[str, str]] = yaml.safe_load(text)
    return items


def provisions() -> list[str]:
    """The provisions PROVISIONS.md §2–§8 names (``data/provisions.json``, written by
    ``scripts/gen_rules_doc.py`` from the regulations), by file and article."""
    from importlib import resources

    text = resources.files("liuhen.rules").joinpath("data/provisions.json").read_text("utf-8")
    cited: list[str] = json.loads(text)
    return sorted(cited, key=lambda c: (c[:3], int(c.split("§")[1])))


PROVISION_TABLE_HEAD = "| 条款 | 制度配置 | 依此判定的规则 | 不能从记录判定的部分 |"
"""The head of the provision-by-provision table (tests/unit/rules/test_provisions.py reads it)."""


def provision_rows(profiles: Iterable[Profile]) -> list[tuple[str, str, list[str], str]]:
    """(provision, profile id, rule ids citing it in that profile, reason not decidable) for
    every provision: each belongs to the profile whose regulation it is from."""
    by_source = {p.source[:3]: p for p in profiles if p.source}
    reasons = {item["citation"]: item["reason"] for item in not_decidable()}
    rows = []
    for c in provisions():
        profile = by_source.get(c[:3])
        rules = [r.id for r in profile.rules if c in r.citations()] if profile else []
        rows.append((c, profile.id if profile else "—", rules, reasons.get(c, "")))
    return rows


def _provision_table(profiles: list[Profile]) -> list[str]:
    lines = [
        "## 逐条对照 / Provision by provision",
        "",
        "PROVISIONS.md §2–§8 的每一条款，归属其所在制度的配置：依此判定的规则，或不能从记录判定的原因"
        "（部分可判定的两者都有）。每一对（条款，规则）在 `tests/unit/rules/test_provisions.py` 中有"
        "两个依条文构造的用例：一个必须报告（`test_reported[条款/规则]`，发现引用该条款），一个几乎"
        "相同、必须不报告（`test_not_reported[条款/规则]`）；测试同时核对本表与用例一一对应。"
        "“根据实际情况”等裁量性条款只给出提示（advice），不报告违规。",
        "",
        PROVISION_TABLE_HEAD,
        "|---|---|---|---|",
    ]
    for c, profile_id, rules, reason in provision_rows(profiles):
        ruled = "、".join(f"`{r}`" for r in rules) or "—"
        lines.append(f"| {c} | `{profile_id}` | {ruled} | {reason or '—'} |")
    return [*lines, ""]


NATIONAL_FACTS = {
    "行政处罚法§61": "送达；电子送达看受送达当事人的 `electronic_service`（同意时间、确认书）",
    "行政强制法§24": "查封、扣押的环节及其决定书和清单",
    "行政强制法§37": "强制拆除（`demolish`）案件的强制执行决定书",
    "行政强制法§44": "强制拆除（`demolish`）案件的强制拆除公告",
    "行政强制法§51": "代履行（`perform_on_behalf`）案件的代履行决定书",
}
"""What a national-law row of the table reads from a case (version 2 of the bundle)."""


def _national_law_table(profiles: list[Profile]) -> list[str]:
    """Every national-law article the profiles cite, with the rules citing it (each profile
    extends ``base``, so these hold under all of them unless a profile disables the rule)."""
    by_article: dict[str, dict[str, None]] = {}
    for p in profiles:
        for r in p.rules:
            for c in r.citations():
                if not c[:3].isdigit():
                    by_article.setdefault(c, {})[r.id] = None
    lines = [
        "## 国家法律条文 / National law",
        "",
        "各配置共同依据的国家法律条文（`base` 配置）及依此判定的规则；说明一栏写明规则读取案件的哪些事实。",
        "",
        "| 条文 | 规则 | 说明 |",
        "|---|---|---|",
    ]
    for c in sorted(by_article, key=_article_order):
        ruled = "、".join(f"`{r}`" for r in by_article[c])
        lines.append(f"| {c} | {ruled} | {NATIONAL_FACTS.get(c, '—')} |")
    return [*lines, ""]


def _article_order(citation: str) -> tuple[str, int]:
    law, _, number = citation.partition("§")
    return law, int(number) if number.isdigit() else 0


def _quote(citation: str) -> str:
    text = articles.quote(citation) or "（条文缺失）"
    return "\n".join(f"> {line}" for line in text.splitlines())


def _params_yaml(params: Any) -> str:
    if not params:
        return "（无参数）"
    text = yaml.safe_dump(
        json.loads(json.dumps(dict(params))), allow_unicode=True, sort_keys=False, width=100
    )
    return "```yaml\n" + str(text) + "```"


WRITING_GUIDE = [
    "## 编写本机关的制度配置 / Write your agency's profile",
    "",
    "1. 从最接近的内置配置开始：`extends: zhangying-town`（或其他编号），写明 `source`（本机关制度文件，"
    "如 `003_c099024a1de7f10b.txt`）、`name`、`agency`。",
    "2. 只写与上级不同的部分：同编号的规则覆盖上级（`params` 逐项合并），新编号的规则新增，"
    "`disable: [规则编号]` 停用上级规则。",
    "3. 每条规则的 `citation`、`also_cites` 和参数中的条文，只能出自本配置的制度或国家法律"
    "（行政处罚法、行政强制法等）：发现的问题据此要求执法人员。",
    "4. 检查：`liuhen profiles lint 文件.yaml`，逐项列出问题（文件、行号、YAML 路径，如 "
    "`rules[3].params.limit`）：格式、规则类型（拼错时提示最接近的类型）、参数范围、引用出处、"
    "永远不会适用的规则（`procedures: []`）、先停用又重新定义的规则、与上级完全相同的覆盖。"
    "退出码 0 没有问题，1 有问题。",
    "5. 比较：`liuhen profiles diff 上级编号 文件.yaml`，逐条列出只在一方的规则、要求不同的规则"
    "（引用、严重程度、适用程序、提示、参数），以及要求相同只是条文编号不同的规则。",
    "6. 试用：`liuhen check 案件数据包.json --profile 文件.yaml`，看本机关的案件会被查出什么。",
    "7. 较重的行政处罚（较大数额）：内置配置不含金额（各地标准不同，须出自本机关或本省的规定）。"
    "在 `collective-discussion` 的参数中写 `heavy: {fines: {person: 金额, organisation: 金额}, "
    "kinds: [处罚种类], citation: 条文}`：罚款达到当事人类别对应的金额、或处罚种类在列的案件，"
    "即使未标记“情节复杂或重大违法”，也要求集体讨论（004§22、行政处罚法§57），发现中写明所依据的金额和条文。",
]
"""The chapter of docs/rules.md on writing and checking an agency's own profile."""


def render_rules_md(profiles: Iterable[Profile]) -> str:
    """The rule catalogue: per rule id, each profile's citation, quote and parameters."""
    profiles = list(profiles)
    ids: dict[str, None] = {}
    for p in profiles:
        for r in p.rules:
            ids.setdefault(r.id, None)
    lines = [
        "# 规则目录 / Rule catalogue",
        "",
        "<!-- 由 scripts/gen_rules_doc.py 从 src/liuhen/rules/profiles/*.yaml 生成，请勿手工修改；",
        "     tests/unit/rules/test_rules_docs.py 在本文件过期时失败。 -->",
        "",
        "每条规则有编号、所引条文、严重程度、中文提示和参数。同一编号在不同制度配置中可以引用不同条文、",
        "取不同参数（子配置覆盖 `base`）。严重程度：否决项（veto）、严重（major）、一般（minor）、提示（advice）。",
        "状态：`violation` 违规（要求未满足或期限已过）；`pending` 待办（未到期，给出期限；或期限所在年份节假日安排未知）；"
        "`advice` 提示（“根据实际情况”等裁量性条款，严重程度为提示的规则：只提示，不算违规，也不计入待办）。",
        "",
        "拦截（`blocks`）：规则可列出它拦住的步骤——作出决定（`decide`，制作决定书）、结案（`close`）、"
        "归档移交（`file`）。该规则对案件（按办理该步骤之后的样子判定）尚有未解决的发现时，该步骤被拒绝，"
        "拒绝信息逐项列出发现及所引条文；按期限判定的规则，已完成（即使逾期完成）的不再拦截。"
        "机关负责人可说明理由越过提示：理由和当时未解决的发现记入全过程日志（`case.gate_overridden`），"
        "并显示在案件时间线和案卷备考表中。案件页的“下一步”按程序列出待办步骤，拦住下一步骤的发现排在最前。",
        "",
        "## 制度配置",
        "",
        "| id | 名称 | 来源 | 上级 | 规则数 |",
        "|---|---|---|---|---|",
    ]
    for p in profiles:
        lines.append(
            f"| `{p.id}` | {p.name} | {p.source or '—'} | {' → '.join(p.chain[1:]) or '—'} | {len(p.rules)} |"
        )
    lines += ["", *WRITING_GUIDE, "", *sheet_chapter(profiles), "## 规则", ""]
    for rid in ids:
        lines += _rule_section(rid, [p for p in profiles if rid in p.rule_ids()])
    lines += _provision_table(profiles)
    lines += _national_law_table(profiles)
    lines += _rule_types_and_not_decidable()
    return "\n".join(lines)


def _rule_section(rid: str, users: list[Profile]) -> list[str]:
    """One rule's section: its type, each profile's citation, severity, procedures and
    parameter set (profiles sharing parameters share a letter), the articles quoted, and
    its message and remedy templates."""
    first = users[0].rule(rid)
    lines = [f"### `{rid}` {first.spec.title or first.summary}", ""]
    lines.append(f"类型 `{first.spec.type}`：{RULE_TYPES[first.spec.type].summary}")
    lines.append("")
    lines.append("| 制度配置 | 依据 | 严重程度 | 适用程序 | 拦截 | 参数 |")
    lines.append("|---|---|---|---|---|---|")
    param_sets: list[tuple[str, list[str]]] = []
    for p in users:
        r = p.rule(rid)
        procs = "、".join(sorted(r.spec.procedures)) if r.spec.procedures else "全部"
        cites = "、".join(r.citations())
        key = json.dumps(dict(r.spec.params), ensure_ascii=False, sort_keys=True)
        index = next((i for i, (k, _) in enumerate(param_sets) if k == key), None)
        if index is None:
            param_sets.append((key, []))
            index = len(param_sets) - 1
        param_sets[index][1].append(p.id)
        held = "、".join(name for g, name in GATE_NAMES.items() if g in r.blocks) or "—"
        lines.append(
            f"| `{p.id}` | {cites} | {r.severity} | {procs} | {held} | 参数{chr(65 + index)} |"
        )
    lines.append("")
    for i, (key, owners) in enumerate(param_sets):
        lines += [
            f"参数{chr(65 + i)}（{'、'.join(owners)}）：",
            "",
            _params_yaml(json.loads(key)),
            "",
        ]
    quoted: dict[str, None] = {}
    for p in users:
        for c in p.rule(rid).citations():
            quoted.setdefault(c, None)
    for c in quoted:
        lines += [f"**{c}**（{articles.source_title(c)}）", "", _quote(c), ""]
    lines += [f"提示模板：{first.spec.message}", "", f"整改模板：{first.spec.remedy}", ""]
    return lines


def _rule_types_and_not_decidable() -> list[str]:
    """The rule types' table and the provisions that records cannot decide."""
    lines = ["## 规则类型", "", "| 类型 | 检查内容 | 模板变量 |", "|---|---|---|"]
    for name in sorted(RULE_TYPES):
        cls = RULE_TYPES[name]
        variables = ", ".join(f"`{{{v}}}`" for v in (*COMMON_MESSAGE_VARS, *cls.message_vars))
        lines.append(f"| `{name}` | {cls.summary} | {variables} |")
    lines += ["", "## 不能从记录判定的条款 / Not decidable from records", ""]
    lines.append(
        "下列 PROVISIONS.md §2–§8 中的条款不能仅凭案件记录判定（或由系统其他部分保证），原因如下。"
    )
    lines.append("")
    lines.append("| 条款 | 内容 | 原因 |")
    lines.append("|---|---|---|")
    for item in not_decidable():
        lines.append(f"| {item['citation']} | {item['topic']} | {item['reason']} |")
    lines.append("")
    return lines
