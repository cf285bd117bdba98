"""The machine's part of ``liuhen doctor``: fonts, native libraries, PDF, media, disk."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
from pathlib import Path

from liuhen.config import Settings
from liuhen.services.admin.doctor.model import Check, existing_folder, guarded

DOCUMENT_FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC")
"""The faces the document, case-file and page templates name (宋体/仿宋 and 黑体 stand-ins)."""

APT = "apt-get install -y"
NATIVE = (
    ("pango-1.0", "libpango-1.0-0"),
    ("pangoft2-1.0", "libpangoft2-1.0-0"),
    ("harfbuzz", "libharfbuzz0b"),
    ("harfbuzz-subset", "libharfbuzz-subset0"),
    ("fontconfig", "libfontconfig1"),
)
"""(library, Debian package) WeasyPrint loads when it renders a PDF."""

DISK_FAIL = 1 << 30
DISK_WARN = 5 << 30


def checks(settings: Settings, *, render_pdf: bool = True) -> list[Check]:
    return checks_for_dir(settings.data_dir, render_pdf=render_pdf)


def checks_for_dir(data_dir: Path, *, render_pdf: bool = True) -> list[Check]:
    """The machine's checks, the disk's for the disk that holds ``data_dir``."""
    found = [
        guarded("fonts", "中文字体", fonts_check),
        guarded("native", "PDF 本地库", native_check),
    ]
    if render_pdf:
        broken = any(c.status == "fail" for c in found)
        found.append(guarded("pdf", "PDF 生成", lambda: pdf_check(skip=broken)))
    found.append(guarded("media", "音视频库", media_check))
    found.append(guarded("disk", "磁盘空间", lambda: disk_check(data_dir)))
    return found


def fonts_check() -> Check:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return Check(
            "fonts",
            "中文字体",
            "fail",
            "没有 fontconfig（fc-list），无法查找字体",
            f"{APT} fontconfig fonts-noto-cjk",
        )
    listing = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    families = {name.strip() for line in listing.splitlines() for name in line.split(",")}
    missing = [f for f in DOCUMENT_FONTS if f not in families]
    if not missing:
        return Check("fonts", "中文字体", "ok", "、".join(DOCUMENT_FONTS))
    if families - {""}:
        return Check(
            "fonts",
            "中文字体",
            "warn",
            f"缺少 {'、'.join(missing)}；文书将改用 {sorted(families)[0]} 等替代字体",
            f"{APT} fonts-noto-cjk",
        )
    return Check(
        "fonts",
        "中文字体",
        "fail",
        "没有任何中文字体：文书与案卷 PDF 中的中文会显示为方框",
        f"{APT} fonts-noto-cjk",
    )


def native_check() -> Check:
    missing = [package for library, package in NATIVE if ctypes.util.find_library(library) is None]
    if missing:
        return Check(
            "native",
            "PDF 本地库",
            "fail",
            f"缺少 WeasyPrint 需要的本地库：{'、'.join(missing)}；无法生成文书与案卷 PDF",
            f"{APT} {' '.join(missing)}",
        )
    return Check("native", "PDF 本地库", "ok", "pango、harfbuzz（含 subset）、fontconfig")


SAMPLE = (
    "<html><body>"
    "<p style=\"font-family:'Noto Serif CJK SC',serif\">行政执法全过程记录</p>"
    "<p style=\"font-family:'Noto Sans CJK SC',sans-serif\">留痕 检查</p>"
    "</body></html>"
)


def pdf_check(*, skip: bool = False) -> Check:
    """Render a line of Chinese as the documents do and read the PDF back: the text comes
    out, and every font is embedded and Chinese."""
    if skip:
        return Check(
            "pdf",
            "PDF 生成",
            "fail",
            "未试生成：先解决上面的字体或本地库问题",
            "按上面的修复方法安装后重新运行 liuhen doctor",
        )
    try:
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:
        return Check(
            "pdf",
            "PDF 生成",
            "fail",
            f"无法载入 WeasyPrint（{_first(exc)}）",
            "python -m pip install -c constraints.txt -e . ；并安装上面列出的本地库",
        )
    from liuhen.archive.pdf_fonts import cjk_problems, font_uses

    pdf = weasyprint.HTML(string=SAMPLE).write_pdf()
    problems = cjk_problems(pdf)
    if problems:
        return Check(
            "pdf",
            "PDF 生成",
            "fail",
            "生成的 PDF 中文字体有问题",
            f"{APT} fonts-noto-cjk",
            problems,
        )
    names = "、".join(sorted({u.name for u in font_uses(pdf)}))
    return Check("pdf", "PDF 生成", "ok", f"试生成一页中文 PDF，字体已嵌入（{names}）")


def media_check() -> Check:
    try:
        import av
        import av.codec
    except ImportError as exc:
        return Check(
            "media",
            "音视频库",
            "fail",
            f"无法载入 PyAV（{_first(exc)}）：无法核对音视频",
            "python -m pip install -c constraints.txt -e .",
        )
    missing = []
    for codec in ("h264", "hevc", "aac", "mjpeg"):
        try:
            av.codec.Codec(codec, "r")
        except Exception:  # noqa: BLE001 — PyAV raises several kinds for an unknown codec
            missing.append(codec)
    if missing:
        return Check(
            "media",
            "音视频库",
            "warn",
            f"PyAV {av.__version__} 缺少解码器 {'、'.join(missing)}：这类录像无法核对时长与完整性",
            "python -m pip install --force-reinstall -c constraints.txt av",
        )
    return Check("media", "音视频库", "ok", f"PyAV {av.__version__}（H.264、H.265、AAC、JPEG）")


def disk_check(data_dir: Path) -> Check:
    where = existing_folder(data_dir)
    usage = shutil.disk_usage(where)
    free = f"{usage.free / (1 << 30):.1f} GiB 可用（共 {usage.total / (1 << 30):.0f} GiB，{where}）"
    if usage.free < DISK_FAIL:
        return Check(
            "disk",
            "磁盘空间",
            "fail",
            f"只剩 {free}：上传和导入会失败",
            "清理磁盘，或把 LIUHEN_DATA_DIR 移到更大的磁盘（见 docs/settings.md）",
        )
    if usage.free < DISK_WARN:
        return Check(
            "disk",
            "磁盘空间",
            "warn",
            f"只剩 {free}：一天的执法记录仪视频就可能占满",
            "清理磁盘，或把 LIUHEN_DATA_DIR 移到更大的磁盘",
        )
    return Check("disk", "磁盘空间", "ok", free)


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
