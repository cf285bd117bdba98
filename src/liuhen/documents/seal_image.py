"""The visible appearance of an electronic seal: a red round seal (公章) with the agency's
name around the top, a five-pointed star in the middle and the seal's purpose below, drawn
with Pillow on a transparent square in the first Chinese font found."""

from __future__ import annotations

import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

RED = (200, 20, 20, 235)
SIZE = 360


@lru_cache(maxsize=32)
def seal_image(agency: str, purpose: str = "电子印章") -> Image.Image:
    """A ``SIZE``×``SIZE`` RGBA image of the seal of ``agency``."""
    from liuhen.media.clips import find_cjk_font

    font_path, index = find_cjk_font()
    image = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    centre, radius = SIZE / 2, SIZE / 2 - 8
    draw.ellipse((8, 8, SIZE - 8, SIZE - 8), outline=RED, width=10)
    _star(draw, centre, centre, radius * 0.28)
    _arc_text(image, agency, str(font_path), index, centre, radius * 0.74)
    small = ImageFont.truetype(str(font_path), 30, index=index)
    width = draw.textlength(purpose, font=small)
    draw.text((centre - width / 2, centre + radius * 0.38), purpose, font=small, fill=RED)
    return image


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for i in range(10):
        angle = math.pi / 2 + i * math.pi / 5
        radius = r if i % 2 == 0 else r * 0.38
        points.append((cx + radius * math.cos(angle), cy - radius * math.sin(angle)))
    draw.polygon(points, fill=RED)


def _arc_text(
    image: Image.Image, text: str, font_path: str, index: int, cx: float, r: float
) -> None:
    """``text`` along the upper arc, each character upright towards the centre."""
    chars = list(text[:24]) or ["?"]
    size = max(22, min(46, int(2 * math.pi * r * 0.62 / max(len(chars), 1))))
    font = ImageFont.truetype(font_path, size, index=index)
    spread = min(math.radians(250), math.radians(22) * len(chars))
    for i, ch in enumerate(chars):
        step = spread / max(len(chars) - 1, 1)
        angle = math.pi / 2 + spread / 2 - i * step  # left to right over the top
        tile = Image.new("RGBA", (size * 2, size * 2), (255, 255, 255, 0))
        ImageDraw.Draw(tile).text((size / 2, size / 2), ch, font=font, fill=RED)
        turned = tile.rotate(math.degrees(angle - math.pi / 2), resample=Image.Resampling.BICUBIC)
        x = cx + r * math.cos(angle) - size
        y = cx - r * math.sin(angle) - size
        image.alpha_composite(turned, (int(x), int(y)))
