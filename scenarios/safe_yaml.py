"""Loading untrusted YAML: no code execution, no aliases, no duplicate keys, a size cap.

PyYAML's SafeLoader already refuses arbitrary Python objects; on top of it aliases are
refused outright (an alias bomb expands a few lines into gigabytes) and a mapping that
repeats a key is an error rather than a silent overwrite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["MAX_BYTES", "YamlInputError", "parse_yaml", "read_yaml"]

MAX_BYTES = 1_048_576


class YamlInputError(ValueError):
    """The text is not acceptable YAML; the message says why (and where, if known)."""


class _StrictLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlInputError(
                f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not allowed"
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                raise YamlInputError(f"line {key_node.start_mark.line + 1}: keys must be scalars")
            if key in seen:
                raise YamlInputError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str) -> Any:
    """Parse one YAML document from untrusted text."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise YamlInputError(f"larger than the {MAX_BYTES}-byte limit")
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except YamlInputError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise YamlInputError(f"{where}not valid YAML ({exc.problem})") from None
    except yaml.YAMLError as exc:
        raise YamlInputError(f"not valid YAML ({exc})") from None


def read_yaml(path: Path) -> Any:
    """Read and parse a YAML file, refusing files over the size cap before reading them."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise YamlInputError(f"cannot read file ({exc.strerror})") from None
    if not path.is_file():
        raise YamlInputError("not a regular file")
    if size > MAX_BYTES:
        raise YamlInputError(f"file is {size} bytes, over the {MAX_BYTES}-byte limit")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise YamlInputError("not UTF-8 text") from None
    except OSError as exc:
        raise YamlInputError(f"cannot read file ({exc.strerror})") from None
    return parse_yaml(text)
