"""Errors a user can act on, and the checks that raise them. Bad input from any interface (library, CLI, app) is one
type, ``InputError``, whose message names the field, the value given and the values allowed; a checkpoint folder that
cannot be used is a ``CheckpointError`` naming the file; a Space that cannot be written is a ``DeployError``."""

from __future__ import annotations

import math
from collections.abc import Iterable


class InputError(ValueError):
    """A value outside what its field allows: ``invalid speed='fast': allowed a number in [0, 20]``."""

    def __init__(self, name: str, value, allowed: str):
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"invalid {name}={value!r}: allowed {allowed}")


class CheckpointError(RuntimeError):
    """A checkpoint folder that cannot be used; the message names the file and the problem."""


class DeployError(RuntimeError):
    """A Space that could not be created or written; the message says why and what to check."""


def check_number(name: str, value, lo: float = -math.inf, hi: float = math.inf) -> float:
    """A finite number in [lo, hi] (bools, strings, None and NaN are refused)."""
    allowed = f"a finite number in [{lo:g}, {hi:g}]" if math.isfinite(lo) or math.isfinite(hi) else "a finite number"
    if isinstance(value, bool):
        raise InputError(name, value, allowed)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(name, value, allowed) from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise InputError(name, value, allowed)
    return v


def check_int(name: str, value, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] (2.0 is accepted as 2; 2.5 is refused)."""
    allowed = f"an integer in [{lo}, {hi}]"
    try:
        v = check_number(name, value, lo, hi)
    except InputError:
        raise InputError(name, value, allowed) from None
    if v != int(v):
        raise InputError(name, value, allowed)
    return int(v)


def check_choice(name: str, value, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise InputError(name, value, "one of " + ", ".join(choices))
    return value
