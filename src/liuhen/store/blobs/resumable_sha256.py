"""A SHA-256 whose running state can be saved and resumed in another process.

An upload that goes straight to its content address (``services.av.shared_uploads``: the
sender announced the SHA-256) may be received part by part on several nodes, and its bytes
cannot be read back before the object is made; so the running digest itself has to travel
with the upload's row. ``hashlib`` keeps its state sealed, so this calls OpenSSL's
``SHA256_Init``/``SHA256_Update``/``SHA256_Final`` (the libcrypto Python's own ``hashlib``
uses, same speed) on a ``SHA256_CTX`` this module owns, whose bytes are the state.

The context's layout has been fixed since OpenSSL 0.9.8 (eight 32-bit chaining words, the
bit count, one 64-byte block, two counters: 112 bytes). ``available()`` checks once that the
functions exist and that a state saved and resumed digests a known message right; where it
does not, uploads take the staged path. A state that is wrong can only make a digest that
differs from the announced one (the upload is refused), never a wrong object.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import threading
from typing import Any

STATE_SIZE = 112
"""sizeof(SHA256_CTX)."""
FORMAT = "openssl-sha256-ctx-1"
"""Tag saved with a state, so a node never resumes a state of another kind."""

_lib: Any = None
_checked: bool | None = None
_lock = threading.Lock()


class ResumableSHA256:
    """``hashlib.sha256()``'s ``update``/``hexdigest``, plus ``state()`` and ``resume``."""

    def __init__(self, state: bytes | None = None) -> None:
        lib = _library()
        if lib is None:
            raise RuntimeError("OpenSSL 的 SHA256_Init 等函数不可用，无法续算 SHA-256")
        self._ctx = ctypes.create_string_buffer(STATE_SIZE)
        if state is None:
            if lib.SHA256_Init(self._ctx) != 1:
                raise RuntimeError("SHA256_Init 失败")
        else:
            if len(state) != STATE_SIZE:
                raise ValueError(f"SHA-256 状态应为 {STATE_SIZE} 字节，实为 {len(state)} 字节")
            ctypes.memmove(self._ctx, state, STATE_SIZE)

    @classmethod
    def resume(cls, saved: dict[str, str]) -> ResumableSHA256 | None:
        """The digest saved by ``saved()``; None when it is missing or of another kind."""
        if not saved or saved.get("format") != FORMAT or not available():
            return None
        try:
            return cls(bytes.fromhex(saved["state"]))
        except (KeyError, ValueError):
            return None

    def update(self, data: bytes) -> None:
        if data and _lib.SHA256_Update(self._ctx, data, len(data)) != 1:
            raise RuntimeError("SHA256_Update 失败")

    def state(self) -> bytes:
        return self._ctx.raw

    def saved(self) -> dict[str, str]:
        """The state as the upload's row keeps it."""
        return {"format": FORMAT, "state": self.state().hex()}

    def hexdigest(self) -> str:
        ctx = ctypes.create_string_buffer(self._ctx.raw, STATE_SIZE)  # Final spoils its ctx
        out = ctypes.create_string_buffer(32)
        if _lib.SHA256_Final(out, ctx) != 1:
            raise RuntimeError("SHA256_Final 失败")
        return out.raw.hex()


def available() -> bool:
    """True when states can be saved and resumed here (checked once per process)."""
    global _checked
    with _lock:
        if _checked is None:
            _checked = _self_test()
        return _checked


def _library() -> Any:
    global _lib
    if _lib is None:
        name = ctypes.util.find_library("crypto")
        if name is None:
            return None
        try:
            lib = ctypes.CDLL(name)
            for fn in ("SHA256_Init", "SHA256_Update", "SHA256_Final"):
                getattr(lib, fn).restype = ctypes.c_int
        except (OSError, AttributeError):
            return None
        lib.SHA256_Init.argtypes = [ctypes.c_void_p]
        lib.SHA256_Update.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.SHA256_Final.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        _lib = lib
    return _lib


def _self_test() -> bool:
    if _library() is None:
        return False
    message = bytes(range(256)) * 41  # not a multiple of the 64-byte block
    try:
        first = ResumableSHA256()
        first.update(message[:1000])
        second = ResumableSHA256(first.state())
        second.update(message[1000:])
        return second.hexdigest() == hashlib.sha256(message).hexdigest()
    except (RuntimeError, ValueError, OSError):
        return False
