"""Building typed dataclasses from a TOML table, with one clear line in Chinese for each mistake: an unknown
section or key (with the closest real one), a value of the wrong type, a missing required key.

The configuration's schema (storage/config.py) is dataclasses; this is the generic reading of them. A field may
carry its own parser in its metadata ("parse"), which checks and builds that value.
"""
from __future__ import annotations

import difflib
from dataclasses import MISSING, fields, is_dataclass
from typing import Any, get_args, get_origin, get_type_hints


class ConfigError(ValueError):
    pass


def build(cls: type, data: dict[str, Any], where: str, internal: frozenset[str] | set[str] = frozenset()) -> Any:
    """An instance of the dataclass `cls` from the table `data` found at `where` ("" for the file itself), nested
    sections and [[arrays]] of tables built alike; `internal`: fields of cls the file may not set."""
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)} - internal
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(_unknown(where, unknown, known))
    kwargs: dict[str, Any] = {}
    parsers = {f.name: f.metadata.get("parse") for f in fields(cls)}
    for name, value in data.items():
        hint = hints[name]
        key = f"{where}.{name}" if where else name
        if isinstance(hint, type) and is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"「{key}」应当是一节（[{key}]），不是单个值")
            kwargs[name] = build(hint, value, key)
            continue
        origin = get_origin(hint)
        args = get_args(hint)
        parse = parsers.get(name)
        if parse is not None:  # a value with rules of its own (metadata "parse"): checked and built there
            kwargs[name] = parse(value)
            continue
        if origin is list and args and isinstance(args[0], type) and is_dataclass(args[0]):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError(f"「{key}」应当写成若干个 [[{key}]] 表")
            kwargs[name] = [build(args[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
            continue
        if origin is not None:  # list[str], list[int], dict[str, list[str]]: check the container and its items
            if not _matches(value, hint):
                raise ConfigError(f"{key} 的写法不对：应为 {_type_name(hint)}")
            kwargs[name] = value
            continue
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if hint is str and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # agent_id is often written as a number
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise ConfigError(f"{key} 应为{_type_name(hint)}，现在是{_type_name(type(value))}（{value!r}）")
        kwargs[name] = value
    missing = [f.name for f in fields(cls) if f.name not in kwargs and f.name not in internal
               and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise ConfigError(f"[{where}] 缺少必填项：{'、'.join(missing)}" if where else f"缺少必填项：{'、'.join(missing)}")
    return cls(**kwargs)


_TYPE_NAMES = {str: "文字（加引号）", int: "整数", float: "数字", bool: "true 或 false", list: "列表", dict: "表"}


def _type_name(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is list:
        return f"列表（每项为{_type_name(get_args(hint)[0])}）"
    if origin is dict:
        return "表"
    return _TYPE_NAMES.get(hint, getattr(hint, "__name__", str(hint)))


def _unknown(where: str, unknown: list[str], known: set[str]) -> str:
    """One line naming the misspelt section or key, with the closest real one (databse → database)."""
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        parts.append(f"「{name}」" + (f"（是不是「{close[0]}」？）" if close else ""))
    place, what = ("配置文件里", "节") if not where else (f"[{where}] 里", "项")
    return f"{place}没有{'、'.join(parts)}这一{what}；可用的有：{'、'.join(sorted(known))}"

def _matches(value: Any, hint: Any) -> bool:
    origin, args = get_origin(hint), get_args(hint)
    if origin is list:
        return isinstance(value, list) and all(_matches(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)
