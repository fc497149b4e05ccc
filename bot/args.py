"""Check and convert a command's raw arguments against its declared parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.excerpt import excerpt
from bot.registry import CommandSpec, Param, ParamKind
from bot.types import ArgValue, AttachedFile

RATING_MIN, RATING_MAX = 0.5, 5.0
FILE_MAX_BYTES = 2 * 1024 * 1024  # an attached file's largest size; bigger ones go by the CLI
_TRUE = {"1", "true", "yes", "y", "on", "spoiler", "spoilers"}
_FALSE = {"0", "false", "no", "n", "off", ""}


class ArgError(ValueError):
    """A message for the user; nothing has been changed. `param` names the faulty parameter
    when the fault is in one (a form then shows the message under that field)."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def parse_rating(value: ArgValue) -> float:
    text = str(value).strip().replace(",", ".").removesuffix("/5").strip()
    text = text.removesuffix("stars").removesuffix("star").strip()
    try:
        rating = float(text) if text.count("★") == 0 else float(text.count("★"))
    except ValueError as exc:
        raise ArgError(
            f"A rating is a number of stars from 0.5 to 5, not “{excerpt(value)}”."
        ) from exc
    if not RATING_MIN <= rating <= RATING_MAX or (rating * 2) % 1:
        raise ArgError(
            f"A rating is 0.5 to 5 stars in half steps; {excerpt(text)} is outside that."
        )
    return rating


def parse_bool(name: str, value: ArgValue) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in _TRUE:
        return True
    if str(value).strip().lower() in _FALSE:
        return False
    raise ArgError(f"{name} is yes or no, not “{excerpt(value)}”.")


def unknown_options_message(spec: CommandSpec, unknown: list[str]) -> str:
    known = ", ".join(p.name for p in spec.params) or "none"
    return f"`{spec.name}` has no option {', '.join(unknown)}. Its options: {known}."


def coerce_args(spec: CommandSpec, raw: dict[str, ArgValue]) -> dict[str, ArgValue]:
    out: dict[str, ArgValue] = {}
    unknown = sorted(set(raw) - {p.name for p in spec.params})
    if unknown:
        raise ArgError(unknown_options_message(spec, unknown))
    for param in spec.params:
        try:
            _coerce_one(spec, param, raw.get(param.name), out)
        except ArgError as exc:
            if exc.param is not None:
                raise
            raise ArgError(str(exc), param=param.name) from exc
    return out


def _coerce_one(spec: CommandSpec, param: Param, value: ArgValue, out: dict[str, ArgValue]) -> None:
    """Check one parameter's value and put its typed form in `out` (nothing when omitted)."""
    if isinstance(value, str):
        value = value.strip()
        if "\x00" in value:
            raise ArgError(f"{param.name} contains a NUL character.")
        if not _encodable(value):
            raise ArgError(f"{param.name} contains a broken character (a lone surrogate).")
    if param.kind is ParamKind.FILE:
        if value is None and not param.required:
            return
        out[param.name] = attached_file(spec, param.name, value)
        return
    if value is None or value == "":
        if param.required:
            raise ArgError(f"`{spec.name}` needs {param.name} ({param.description}).")
        return
    if param.kind in (ParamKind.TEXT, ParamKind.TITLE, ParamKind.WHEN):
        text = str(value)
        if param.max_length and len(text) > param.max_length:
            raise ArgError(
                f"{param.name} is {len(text):,} characters long; the most is {param.max_length:,}."
            )
        out[param.name] = text
    elif param.kind is ParamKind.INT:
        try:
            number = int(str(value).lstrip("#"))
        except ValueError as exc:
            raise ArgError(f"{param.name} must be a whole number, not “{excerpt(value)}”.") from exc
        if not -(2**31) < number < 2**31:
            raise ArgError(f"{param.name} {number} is out of range.")
        out[param.name] = number
    elif param.kind is ParamKind.RATING:
        out[param.name] = parse_rating(value)
    elif param.kind is ParamKind.BOOL:
        out[param.name] = parse_bool(param.name, value)


def attached_file(spec: CommandSpec, name: str, value: ArgValue) -> AttachedFile:
    """The file a FILE parameter needs; typed text (Slack, the console) can't be one."""
    if not isinstance(value, AttachedFile):
        # The command is named as a mention, so each platform shows it in its own form.
        raise ArgError(
            f"`{spec.name}` needs a file attached as {name}, which typed text cannot carry: "
            f"attach the file to the command on Discord, or run `marquee {spec.name} FILE` "
            "on the server."
        )
    if not _encodable(value.text):
        raise ArgError(f"{value.name} contains broken characters; is it a text file?")
    size = len(value.text.encode("utf-8"))
    if size > FILE_MAX_BYTES:
        raise ArgError(
            f"{value.name} is {size / 1024 / 1024:.1f} MB; an attached file can be at most "
            f"{FILE_MAX_BYTES // 1024 // 1024} MB. Run `marquee {spec.name} FILE` on the "
            "server for bigger ones."
        )
    if "\x00" in value.text:
        raise ArgError(f"{value.name} contains NUL bytes; this looks like a binary file.")
    return value


def _encodable(text: str) -> bool:
    """False for text holding lone surrogates: no database or platform can store or send it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def int_arg(args: Mapping[Any, object], name: str) -> int:
    """A parameter `coerce_args` has already made an integer (or a number of stars)."""
    value = args[name]
    if not isinstance(value, int | float):
        raise TypeError(f"{name} was not coerced to a number: {value!r}")
    return int(value)


def float_arg(args: Mapping[Any, object], name: str) -> float:
    """A parameter `coerce_args` has already made a number."""
    value = args[name]
    if not isinstance(value, int | float):
        raise TypeError(f"{name} was not coerced to a number: {value!r}")
    return float(value)
