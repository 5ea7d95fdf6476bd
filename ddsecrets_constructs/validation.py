"""How the constructs report bad input: one error listing every problem, and warning annotations.

Each construct checks its props first and collects every problem in a :class:`Problems`, then
raises a single :class:`DdSecretsValidationError` whose message starts with the construct path.
Checks that cannot run because a value is only known at deploy time (a token) are reported in one
warning annotation per construct, so that nothing is skipped silently. Warnings are collected too
and only annotated by :meth:`Problems.raise_if_any`, so a family can check its children's props
up front (one error for all of them) without annotating anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import Annotations
from constructs import IConstruct

WARNING_PREFIX = "ddsecrets-constructs"
"""Prefix of every warning id this library emits, e.g. ``ddsecrets-constructs:customSite``."""


@dataclass(frozen=True)
class Problem:
    """One invalid prop: which prop, what was received, what is allowed."""

    prop: str
    received: str
    allowed: str

    def __str__(self) -> str:
        return f"`{self.prop}`: got {self.received}; {self.allowed}"


class DdSecretsValidationError(ValueError):
    """Props that would synthesize a broken or unsafe setup.

    Raised at synth time (in the construct's constructor). The message names the construct path
    and lists every problem found, each with the prop, the value received and what is allowed.
    """

    def __init__(self, construct_path: str, problems: list[Problem]) -> None:
        """
        :param construct_path: path of the construct whose props are invalid.
        :param problems: every problem found, in the order the props were checked.
        """
        self.construct_path = construct_path
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in problems)
        count = len(problems)
        super().__init__(f"{construct_path}: {count} invalid prop{'s' if count > 1 else ''}:\n{lines}")


@dataclass
class Problems:
    """Collects problems, skipped checks and warnings while a construct checks its props.

    :meth:`within` gives a view whose prop names carry a prefix (``api_keys['ci'].``) and which
    shares the same lists.
    """

    prefix: str = ""
    _problems: list[Problem] = field(default_factory=list)
    _skipped: list[str] = field(default_factory=list)
    _warnings: list[tuple[str, str]] = field(default_factory=list)

    def within(self, prefix: str) -> Problems:
        return Problems(self.prefix + prefix, self._problems, self._skipped, self._warnings)

    def name(self, prop: str) -> str:
        """The prop's name as the user wrote it, with this view's prefix."""
        return f"{self.prefix}{prop}"

    def add(self, prop: str, received: str, allowed: str) -> None:
        """Record an invalid prop. ``received`` is already formatted (``!r``, or a redacted shape)."""
        self._problems.append(Problem(self.name(prop), received, allowed))

    def skip(self, prop: str, check: str) -> None:
        """Record a check that could not run because ``prop`` is a deploy-time value."""
        self._skipped.append(f"`{self.name(prop)}` ({check})")

    def warn(self, warning_id: str, message: str) -> None:
        """Record a warning: something that may be fine but deserves a look."""
        self._warnings.append((warning_id, message))

    def __len__(self) -> int:
        return len(self._problems)

    def raise_if_any(self, scope: IConstruct) -> None:
        """Raise one error for all problems; otherwise annotate ``scope`` with the warnings."""
        if self._problems:
            raise DdSecretsValidationError(scope.node.path, self._problems)
        if self._skipped:
            self.warn(
                "deployTimeValuesNotChecked",
                "These checks were skipped because the values are only known at deploy time: "
                + "; ".join(self._skipped)
                + ". Make sure the deployed values satisfy them.",
            )
        for warning_id, message in dict.fromkeys(self._warnings):
            Annotations.of(scope).add_warning_v2(f"{WARNING_PREFIX}:{warning_id}", message)
