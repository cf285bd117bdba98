"""A handwritten signature as the signing page sends it: a PNG drawn on a canvas.

``signature_problems`` says, in one line a form can show beside the signature box, why a
payload cannot be a signature: nothing sent or nothing drawn, not a PNG, too large. What
passes is stored as sent (its digest is of what the signer drew) and printed in the
document at its signature place (``content.SignatureLine.image``).
"""

from __future__ import annotations

from io import BytesIO

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 256 * 1024
"""A canvas of a phone's width at twice its pixels is 20–60 KB; more is not a signature."""
MAX_SIDE = 2400
MIN_INK = 40
"""Pixels drawn: fewer is a tap, not a signature."""
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def signature_problems(data: bytes) -> list[str]:
    """``[]`` for a usable signature; else one ``"signature: 中文说明"``."""
    if not data:
        return ["signature: 签名为空：请在签名框内手写签名后再提交"]
    if len(data) > MAX_BYTES:
        return [f"signature: 签名图像过大（{len(data) // 1024} KB，上限 {MAX_BYTES // 1024} KB）"]
    if not data.startswith(PNG_MAGIC):
        return ["signature: 签名图像应为签名框生成的 PNG 图片，收到的不是 PNG"]
    try:
        with Image.open(BytesIO(data)) as image:
            if image.format != "PNG":
                return ["signature: 签名图像应为签名框生成的 PNG 图片，收到的不是 PNG"]
            width, height = image.size
            if width > MAX_SIDE or height > MAX_SIDE:
                return [f"signature: 签名图像过大（{width}×{height} 像素，上限 {MAX_SIDE}）"]
            ink = _ink(image)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return ["signature: 签名图像已损坏，无法读取：请重新签名"]
    if ink < MIN_INK:
        return ["signature: 签名为空：请在签名框内手写签名后再提交"]
    return []


def _ink(image: Image.Image) -> int:
    """Pixels that are drawn: opaque and darker than the paper."""
    rgba = image.convert("RGBA")
    alpha = rgba.getchannel("A").point(lambda a: 255 if a > 32 else 0)
    dark = rgba.convert("L").point(lambda v: 255 if v < 200 else 0)
    both = Image.composite(dark, Image.new("L", rgba.size, 0), alpha)
    histogram = both.histogram()
    return int(histogram[255])
