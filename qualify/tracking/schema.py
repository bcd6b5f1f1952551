"""A small JSON Schema (draft 2020-12) validator for the subset schema/tracking.schema.json uses.

The runtime packages are fixed (no `jsonschema` in the image), and the schema needs only a few
keywords. Any other validation keyword makes `Validator` refuse the schema, so a schema edit can
never be silently ignored; tests cross-check the results with the real `jsonschema` library.
Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]

_VALIDATING = {
    "type", "properties", "required", "additionalProperties", "enum", "pattern", "items", "minItems",
    "minimum", "format", "$ref", "$defs", "anyOf", "oneOf", "minProperties", "maxProperties", "propertyNames",
}  # fmt: skip
_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "default", "examples"}
_FORMATS = {"date", "regex"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SchemaError(Exception):
    """The schema uses something this validator does not implement."""


@dataclass(frozen=True, slots=True)
class Violation:
    path: Path  # keys and indexes from the document root to the offending value
    message: str

    @property
    def pointer(self) -> str:
        return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in self.path)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_type(value: Any, name: str) -> bool:
    actual = _type_name(value)
    return actual == name or (name == "number" and actual == "integer")


def _format_ok(value: Any, fmt: str) -> bool:
    if not isinstance(value, str):
        return True
    if fmt == "date":
        if not _DATE.match(value):
            return False
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def _describe(schema: dict) -> str:
    if schema.get("type") == "object" and schema.get("required"):
        return "a mapping with " + " and ".join(f"`{k}`" for k in schema["required"])
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return " or ".join(kinds)
    return str(kinds or "the expected shape")


class Validator:
    def __init__(self, schema: dict) -> None:
        self.schema = schema
        self._check_keywords(schema, "#")

    def _check_keywords(self, node: Any, where: str) -> None:
        if not isinstance(node, dict):
            raise SchemaError(f"{where}: a schema must be an object")
        for key, value in node.items():
            if key in _ANNOTATIONS:
                continue
            if key not in _VALIDATING:
                raise SchemaError(f"{where}: keyword {key!r} is not supported by qualify.tracking.schema")
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    self._check_keywords(sub, f"{where}/{key}/{name}")
            elif key in ("items", "propertyNames") or (key == "additionalProperties" and isinstance(value, dict)):
                self._check_keywords(value, f"{where}/{key}")
            elif key in ("anyOf", "oneOf"):
                for i, sub in enumerate(value):
                    self._check_keywords(sub, f"{where}/{key}/{i}")
            elif key == "format" and value not in _FORMATS:
                raise SchemaError(f"{where}: format {value!r} is not supported")
            elif key == "$ref":
                self._resolve(value)

    def _resolve(self, ref: str) -> dict:
        if not ref.startswith("#/$defs/"):
            raise SchemaError(f"only local #/$defs/ references are supported, got {ref!r}")
        try:
            return self.schema["$defs"][ref.removeprefix("#/$defs/")]
        except KeyError:
            raise SchemaError(f"unresolved $ref {ref!r}") from None

    def errors(self, instance: Any) -> list[Violation]:
        return list(self._walk(instance, self.schema, ()))

    def _walk(self, value: Any, schema: dict, path: Path) -> Iterator[Violation]:
        if "$ref" in schema:
            yield from self._walk(value, self._resolve(schema["$ref"]), path)
        kinds = schema.get("type")
        if kinds is not None:
            names = kinds if isinstance(kinds, list) else [kinds]
            if not any(_is_type(value, n) for n in names):
                yield Violation(path, f"must be {' or '.join(names)}, got {_type_name(value)} {value!r}")
                return
        if "enum" in schema and value not in schema["enum"]:
            yield Violation(path, f"must be one of {', '.join(map(str, schema['enum']))}, got {value!r}")
        if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
            pattern = schema["pattern"]
            yield Violation(path, "must not be empty" if pattern == r"\S" else f"must match {pattern}")
        if "minimum" in schema and _is_type(value, "number") and value < schema["minimum"]:
            yield Violation(path, f"must be at least {schema['minimum']}, got {value!r}")
        if "format" in schema and not _format_ok(value, schema["format"]):
            what = {"date": "a date like 2026-12-31", "regex": "a valid regular expression"}[schema["format"]]
            yield Violation(path, f"must be {what}, got {value!r}")
        if isinstance(value, dict):
            yield from self._object(value, schema, path)
        if isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                yield Violation(path, f"must have at least {schema['minItems']} item(s)")
            if "items" in schema:
                for i, item in enumerate(value):
                    yield from self._walk(item, schema["items"], (*path, i))
        for key in ("anyOf", "oneOf"):
            if key in schema:
                yield from self._choice(value, schema[key], path, exactly_one=key == "oneOf")

    def _object(self, value: dict, schema: dict, path: Path) -> Iterator[Violation]:
        props = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                yield Violation(path, f"`{name}` is required")
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            yield Violation(path, f"must have at least {schema['minProperties']} key(s)")
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            yield Violation(path, f"must have at most {schema['maxProperties']} key(s), got {len(value)}")
        if "propertyNames" in schema:
            for key in value:
                for v in self._walk(key, schema["propertyNames"], path):
                    yield Violation((*path, key), f"key {key!r}: {v.message}")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                yield from self._walk(item, props[key], (*path, key))
            elif extra is False:
                allowed = ", ".join(props)
                yield Violation((*path, key), f"unknown key {key!r} (allowed: {allowed})")
            elif isinstance(extra, dict):
                yield from self._walk(item, extra, (*path, key))

    def _choice(self, value: Any, options: list[dict], path: Path, *, exactly_one: bool) -> Iterator[Violation]:
        results = [self.errors_at(value, option, path) for option in options]
        passing = sum(1 for r in results if not r)
        if passing == 1 or (passing > 1 and not exactly_one):
            return
        if passing > 1:
            yield Violation(path, "matches more than one allowed shape")
            return
        # Report the branch that got furthest (fewest errors, the type matched) rather than a bare "no match".
        typed = [(r, o) for r, o in zip(results, options, strict=True) if self._type_matches(value, o)]
        if len(typed) > 1 and isinstance(value, dict):
            # Several mapping shapes: the one whose keys the value uses is the one it meant.
            typed = [(r, o) for r, o in typed if set(value) & set(self._deref(o).get("properties", {}))]
        if len(typed) == 1:
            yield from typed[0][0]
            return
        shapes = " or ".join(_describe(self._deref(o)) for o in options)
        yield Violation(path, f"must be {shapes}, got {_type_name(value)} {value!r}")

    def _deref(self, schema: dict) -> dict:
        return self._resolve(schema["$ref"]) if "$ref" in schema and "type" not in schema else schema

    def _type_matches(self, value: Any, schema: dict) -> bool:
        kinds = self._deref(schema).get("type")
        names = kinds if isinstance(kinds, list) else [kinds]
        return kinds is None or any(_is_type(value, n) for n in names)

    def errors_at(self, value: Any, schema: dict, path: Path) -> list[Violation]:
        return list(self._walk(value, schema, path))


def to_json_data(value: Any) -> Any:
    """YAML-loaded data as JSON Schema sees it: dates become ISO strings, keys become strings."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: to_json_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_data(v) for v in value]
    return value
