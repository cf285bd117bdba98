"""留痕 LiuHen: full-process recording of administrative law enforcement."""

__version__ = "0.1.0"
