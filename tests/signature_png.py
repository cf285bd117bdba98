"""A handwritten signature as the signing page's canvas would send it (a PNG of strokes)."""

from __future__ import annotations

from io import BytesIO

from PIL import Image, ImageDraw


def signature_png(strokes: int = 3, width: int = 600, height: int = 200) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for n in range(strokes):
        y = 40 + n * 40
        draw.line(
            [(30 + n * 20, y), (200, y + 60), (420, y - 20), (560, y + 30)], fill="black", width=5
        )
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
