"""FileFacts ↔ plain tuples that ``marshal`` can write, generated from the dataclasses' type hints.

The on-disk cache and the process pool both move facts as bytes. Python's object serialiser goes
through each dataclass's Python-level ``__getstate__``/``__setstate__``, was as slow as extracting
the facts again, and runs whatever its bytes name; ``marshal`` of tuples is C all the way, builds
only plain values, and decoding calls each class's constructor once.

Nothing here lists fields by hand: an encoder and a decoder are generated per dataclass from
``dataclasses.fields`` and the resolved type hints, so a field added to ``facts/model.py`` is
carried automatically. Fields declared with ``compare=False`` are caches derived later by the
workspace index (``resolved``, ``names``); they are not carried and come back as their default. A
type the generator does not know raises ``TypeError`` when the codec is built, so a new field of
an unsupported type turns the cache off (a cold run) rather than storing something wrong; the
tests build the codec, so such a field fails them first.

``LineIndex`` is not stored: it is rebuilt from the file's text, which the decoder is given.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..syntax.positions import LineIndex
from .model import FileFacts

_SCALARS = (str, int, bool, float, bytes, type(None))

Encoder = Callable[[Any], Any]


class _Generator:
    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"Path": Path, "LineIndex": LineIndex, "_new": object.__new__}
        self.encoders: dict[type, str] = {}
        self.decoders: dict[type, str] = {}
        self.sources: list[str] = []
        self.counter = 0

    def name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # Each returns a Python expression over ``var``, or None when the value is carried as it is.

    def encode(self, hint: Any, var: str) -> str | None:
        return self._expression(hint, var, encode=True)

    def decode(self, hint: Any, var: str) -> str | None:
        return self._expression(hint, var, encode=False)

    def _expression(self, hint: Any, var: str, *, encode: bool) -> str | None:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if hint in _SCALARS or origin is typing.Literal:
            return None
        if hint is Path:
            return f"str({var})" if encode else f"Path({var})"
        if hint is LineIndex:
            return "None" if encode else "LineIndex(data)"
        if origin in (types.UnionType, typing.Union):
            options = [a for a in args if a is not type(None)]
            if len(options) != len(args) - 1 or len(options) != 1:
                if all(option in _SCALARS for option in options):
                    return None
                raise TypeError(f"cannot encode the union {hint!r}")
            inner = self._expression(options[0], var, encode=encode)
            return None if inner is None else f"(None if {var} is None else {inner})"
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            function = self._dataclass(hint, encode=encode)
            return f"{function}({var})"
        item = self.name("x")
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                inner = self._expression(args[0], item, encode=encode)
                if inner is None:
                    return None
                return f"tuple([{inner} for {item} in {var}])"
            parts = [self._expression(arg, f"{var}[{i}]", encode=encode) for i, arg in enumerate(args)]
            if all(part is None for part in parts):
                return None
            return "(" + "".join(f"{part or f'{var}[{i}]'}, " for i, part in enumerate(parts)) + ")"
        if origin is list:
            inner = self._expression(args[0], item, encode=encode)
            if inner is None:
                return f"list({var})"
            return f"[{inner} for {item} in {var}]"
        if origin in (frozenset, set):
            inner = self._expression(args[0], item, encode=encode)
            if inner is not None:
                raise TypeError(f"cannot encode {hint!r}")
            return f"{origin.__name__}({var})"
        if origin is dict:
            key_expr = self._expression(args[0], "k", encode=encode)
            value_expr = self._expression(args[1], item, encode=encode)
            if key_expr is not None:
                raise TypeError(f"cannot encode dict keys of {hint!r}")
            if value_expr is None:
                return f"dict({var})"
            return f"{{k: {value_expr} for k, {item} in {var}.items()}}"
        raise TypeError(f"cannot encode {hint!r}")

    def _dataclass(self, cls: type, *, encode: bool) -> str:
        table = self.encoders if encode else self.decoders
        found = table.get(cls)
        if found is not None:
            return found
        function = self.name(("enc_" if encode else "dec_") + cls.__name__ + "_")
        table[cls] = function  # before the fields: a recursive type refers to itself
        self.namespace[cls.__name__ + "_cls"] = cls
        hints = typing.get_type_hints(cls)
        carried = [f for f in dataclasses.fields(cls) if f.compare]
        if any(not f.init for f in carried):
            raise TypeError(f"{cls.__name__} has a field its constructor does not take")
        lines = [f"def {function}(v):"]
        if encode:
            parts = [self.encode(hints[f.name], f"v.{f.name}") or f"v.{f.name}" for f in carried]
            lines.append("    return (" + "".join(f"{p}, " for p in parts) + ")")
        else:
            values = [self.decode(hints[f.name], f"v[{i}]") or f"v[{i}]" for i, f in enumerate(carried)]
            slots = getattr(cls, "__slots__", None)
            if slots is not None and not hasattr(cls, "__post_init__") and len(carried) == len(dataclasses.fields(cls)):
                # Past the constructor: a frozen dataclass's __init__ sets each field through
                # object.__setattr__ by keyword, twice the cost of the slot descriptors.
                lines.append(f"    o = _new({cls.__name__}_cls)")
                for f, value in zip(carried, values, strict=True):
                    setter = f"{cls.__name__}_set_{f.name}"
                    self.namespace[setter] = getattr(cls, f.name).__set__
                    lines.append(f"    {setter}(o, {value})")
                lines.append("    return o")
            else:
                parts = [f"{f.name}={value}" for f, value in zip(carried, values, strict=True)]
                lines.append(f"    return {cls.__name__}_cls(" + ", ".join(parts) + ")")
        self.sources.append("\n".join(lines))
        return function


class FactsCodec:
    """``encode(facts)`` gives nested tuples of plain values; ``decode(value, path, data)`` gives
    the facts back, equal to the original (``==``), with ``path`` and the ``LineIndex`` of
    ``data``."""

    def __init__(self) -> None:
        generator = _Generator()
        encoder = generator._dataclass(FileFacts, encode=True)
        decoder = generator._dataclass(FileFacts, encode=False)
        # ``data`` is the decoder's second argument; generated functions read it as a global of
        # their namespace, set per call (decoding is single-threaded).
        source = "\n\n".join(generator.sources)
        namespace = generator.namespace
        namespace["data"] = b""
        exec(compile(source, "<nextguard.facts.codec>", "exec"), namespace)
        self._namespace = namespace
        self._encode: Callable[[FileFacts], Any] = namespace[encoder]
        self._decode: Callable[[Any], FileFacts] = namespace[decoder]
        self.source = source

    def encode(self, facts: FileFacts) -> Any:
        return self._encode(facts)

    def decode(self, value: Any, path: Path, data: bytes) -> FileFacts:
        self._namespace["data"] = data
        facts = self._decode(value)
        facts.path = path
        return facts


_CODEC: FactsCodec | None = None


def codec() -> FactsCodec:
    """The codec, built once per process. Raises ``TypeError`` if the model has a field of a
    type it cannot carry."""
    global _CODEC
    if _CODEC is None:
        _CODEC = FactsCodec()
    return _CODEC


__all__ = ["FactsCodec", "codec"]
