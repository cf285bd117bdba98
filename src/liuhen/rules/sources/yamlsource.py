"""Reading YAML while remembering the line of every value, so errors can name it."""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class SourceMap:
    """Line numbers of the values of one YAML file, by their path (``("rules", 2, "id")``)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Path_, int] = {}

    def line(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def where(self, path: Path_) -> str:
        return f"{self.file}:{self.line(path)}"


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap, list[str]]:
    """Parse ``text``; return the data, its source map and problems (duplicate keys, syntax)."""
    smap = SourceMap(file)
    problems: list[str] = []
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, smap, []

        def build(n: yaml.Node, path: Path_) -> Any:
            smap.lines[path] = n.start_mark.line + 1
            if isinstance(n, yaml.MappingNode):
                out: dict[Any, Any] = {}
                for k, v in n.value:
                    key = loader.construct_object(k, deep=True)
                    if key in out:
                        problems.append(f"{file}:{k.start_mark.line + 1}: 重复的键 {key!r}")
                    out[key] = build(v, (*path, key))
                return out
            if isinstance(n, yaml.SequenceNode):
                return [build(v, (*path, i)) for i, v in enumerate(n.value)]
            return loader.construct_object(n, deep=True)

        return build(node, ()), smap, problems
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        return None, smap, [f"{file}:{line}: YAML 语法错误：{reason}"]
    finally:
        loader.dispose()
