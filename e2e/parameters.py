"""Parameter values of the right shape, made from each parameter's ``AllowedPattern``.

Nothing here knows the examples' parameter names: a new parameter, or a new pattern, gets a value
as long as its pattern can be turned into a string. A parameter that names an existing secret by
ARN (the imported admin) gets the ARN of a secret deployed earlier in the run when the pattern
accepts it, so the stacks are linked as a user would link them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from typing import Any

import rstr

# Seeded: a run's values are reproducible, and every parameter still gets its own value.
SEED = 20261128


class ValueMaker:
    """Makes values that match CloudFormation ``AllowedPattern`` (a whole-string match)."""

    def __init__(self, seed: int = SEED) -> None:
        self._xeger = rstr.Rstr(random.Random(seed))
        self._made: set[str] = set()

    def for_pattern(self, pattern: str) -> str:
        for _ in range(100):
            value = self._xeger.xeger(pattern)
            if re.fullmatch(pattern, value) and value not in self._made:
                self._made.add(value)
                return value
        raise AssertionError(f"cannot make a fresh value for AllowedPattern {pattern!r}")

    def for_parameter(self, name: str, parameter: dict[str, Any], existing_arns: Iterable[str] = ()) -> str:
        pattern = parameter.get("AllowedPattern")
        if pattern is None:
            raise AssertionError(
                f"parameter {name} has no AllowedPattern: add one, or teach e2e/parameters.py its shape"
            )
        for arn in existing_arns:
            if re.fullmatch(pattern, arn):
                return arn
        return self.for_pattern(pattern)


def values_for(template: dict[str, Any], maker: ValueMaker, existing_arns: Iterable[str] = ()) -> dict[str, str]:
    """A value for every parameter of ``template`` that has no default (CDK's own have defaults)."""
    arns = list(existing_arns)
    return {
        name: maker.for_parameter(name, parameter, arns)
        for name, parameter in template.get("Parameters", {}).items()
        if "Default" not in parameter
    }


def no_echo(template: dict[str, Any]) -> set[str]:
    return {name for name, p in template.get("Parameters", {}).items() if p.get("NoEcho") in (True, "true")}
