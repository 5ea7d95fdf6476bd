"""How the constructs report bad input: one error listing every problem, and warning annotations.

Each construct checks its props first and collects every problem in a :class:`Problems`, then
raises a single :class:`DdSecretsValidationError` whose message starts with the construct path.
Checks that cannot run because a value is only known at deploy time (a token) are reported in one
warning annotation per construct, so that nothing is skipped silently. Warnings are collected too
and only annotated by :meth:`Problems.raise_if_any`, so a family can check its children's props
up front (one error for all of them) without annotating anything twice.

Every text the library builds for a person (the error message, each warning) passes through
:func:`redact`, in one place: whatever prop a Datadog key was pasted into, the key is never
printed. Values are shown with :func:`describe`, which prints what the user typed
(``Duration.hours(3)``, ``'rate(30 days)'``), never an object repr.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar, Union, cast

import jsii
from aws_cdk import Annotations, Duration, SecretValue, Token
from constructs import Construct, IConstruct, IValidation

WARNING_PREFIX = "ddsecrets-constructs"
"""Prefix of every warning id this library emits, e.g. ``ddsecrets-constructs:customSite``."""

DEPLOY_TIME_VALUES_NOT_CHECKED = "deployTimeValuesNotChecked"
"""Id (after the prefix) of the one warning per construct that lists the checks a deploy-time value skipped."""

# What a Datadog key looks like (reference section 1), also inside a longer string: an application
# key is "ddapp_" + 34 letters or digits, an API key 32 hexadecimal characters, a legacy application
# key 40. Any run of 24 or more hexadecimal characters is hidden too, so that a key with a few
# characters cut off or added (a bad paste) is not printed almost whole.
_APP_KEY_SHAPE = re.compile(r"(?i:ddapp_)[A-Za-z0-9]{20,}")
_HEX_RUN = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{24,}(?![0-9A-Fa-f])")
_KEY_PROPS = ("admin_api_key", "admin_app_key", "app_key", "api_key")


# How aws_cdk tells a string holding a token from a literal (aws-cdk-lib 2.x, core/lib/private/
# encoding.ts, ``unresolved()``): the string contains "Token[" and matches STRING_TOKEN_REGEX, a
# "${Token[<key>]}" marker or a stringified number token. Done here in Python for a ``str``, so that
# checking a literal costs no jsii round trip; ``tests/test_validation.py`` holds it to
# ``Token.is_unresolved`` on tokens of every kind.
_ANY_TOKEN_MARKER = "Token["
_STRING_TOKEN = re.compile(r"\$\{Token\[[a-zA-Z0-9:._-]+\]\}|-1\.[0-9]{10,16}e\+289")


def is_unresolved(value: object) -> bool:
    """``Token.is_unresolved(value)``: whether ``value`` is only known at deploy time. Answered in
    Python for a ``str`` (the same rule as aws_cdk's), through jsii for anything else."""
    if type(value) is str:
        return _ANY_TOKEN_MARKER in value and _STRING_TOKEN.search(value) is not None
    try:
        return bool(Token.is_unresolved(value))
    except AttributeError:  # jsii cannot pass a plain Python object (no __jsii_type__): not a token
        return False


def _shape_of(match: str) -> str:
    if match.lower().startswith("ddapp_"):
        return "a Datadog application key"
    if len(match) == 32:
        return "a Datadog API key"
    if len(match) == 40:
        return "a Datadog application key (legacy format)"
    return "a Datadog key"


def key_shapes(text: str) -> list[str]:
    """What each key-shaped part of ``text`` looks like (``"a Datadog API key"``), in order."""
    found = [(m.start(), _shape_of(m.group())) for m in _APP_KEY_SHAPE.finditer(text)]
    found += [(m.start(), _shape_of(m.group())) for m in _HEX_RUN.finditer(text)]
    return [shape for _, shape in sorted(found)]


def redact(text: str) -> str:
    """``text`` with every key-shaped part replaced by a description of its shape.

    A quoted value that is nothing but a key (``'0123…'``) becomes the plain description.
    """

    def hidden(match: re.Match[str]) -> str:
        return f"<a value shaped like {_shape_of(match.group())} (not shown)>"

    text = _HEX_RUN.sub(hidden, _APP_KEY_SHAPE.sub(hidden, text))
    return re.sub(r"^<(a value shaped like [^>]*)>$|'<(a value shaped like [^>]*)>'", r"\1\2", text)


def describe(value: object) -> str:
    """Show a received value as the user wrote it: ``'rate(30 days)'``, ``Duration.hours(3)``,
    ``RemovalPolicy.DESTROY``, ``{'a': 1}``; never ``<... object at 0x...>``."""
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, str):
        return "a deploy-time value (token)" if is_unresolved(value) else repr(value)
    if isinstance(value, Duration):
        return describe_duration(value)
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, SecretValue):
        return "a SecretValue"
    if isinstance(value, Construct):
        return f"{_article(type(value).__name__)} {type(value).__name__} ({value.node.path!r})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{describe(k)}: {describe(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        inner = ", ".join(describe(v) for v in value)
        return {list: f"[{inner}]", tuple: f"({inner})"}.get(type(value), "{" + inner + "}")
    text = repr(value)
    if " object at 0x" in text or text.startswith("<"):
        if is_unresolved(value):  # Fn.condition_if(...), Token.as_any(...): not their jsii class
            return "a deploy-time value (token)"
        return f"{_article(type(value).__name__)} {type(value).__name__}"
    return text


def describe_duration(duration: Duration) -> str:
    """``Duration.hours(3)``: as the user wrote it (aws_cdk's own rendering)."""
    return "a deploy-time Duration (token)" if duration_millis(duration) is None else duration.to_string()


def duration_millis(duration: Duration) -> Optional[float]:
    """The duration in milliseconds, or None when it is a deploy-time value (a token)."""
    try:
        millis = duration.to_milliseconds()
    except RuntimeError:  # jsii: "Duration must be specified as 'Duration.millis()' ... comes from a token"
        return None
    return None if is_unresolved(millis) else float(millis)


def _article(noun: str) -> str:
    return "an" if noun[:1].upper() in "AEIOU" else "a"


def _swap_hint(prop: str, shape: str) -> str:
    """Why a key is in this prop, when the prop is not a key prop: most often a swap."""
    field_name = prop.rsplit(".", 1)[-1]
    if field_name.endswith("_id") and field_name[: -len("_id")] in _KEY_PROPS:
        key_prop = prop[: -len("_id")]
        return (
            f"this is {shape} in an id field: `{key_prop}` and `{prop}` look swapped (the id is the UUID "
            "Datadog shows as 'Key ID'; the key goes in the key prop, as a SecretValue)"
        )
    return (
        f"this is {shape}, which belongs only in a key prop ({', '.join(f'`{p}`' for p in _KEY_PROPS)}) "
        "as a SecretValue; anywhere else it would be written into the template"
    )


@dataclass(frozen=True)
class Problem:
    """One invalid prop: which prop, what was received, what is allowed (already redacted)."""

    prop: str
    received: str
    allowed: str

    def __str__(self) -> str:
        return f"`{self.prop}`: got {self.received}; {self.allowed}"


class DdSecretsValidationError(ValueError):
    """Props that would synthesize a broken or unsafe setup.

    Raised at synth time (in the construct's constructor). The message names the construct path
    and lists every problem found, each with the prop, the value received and what is allowed.
    Key material is never part of it.
    """

    def __init__(self, construct_path: str, problems: list[Problem]) -> None:
        """
        :param construct_path: path of the construct whose props are invalid.
        :param problems: every problem found, in the order the props were checked.
        """
        self.construct_path = redact(construct_path)
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in problems)
        count = len(problems)
        super().__init__(redact(f"{construct_path}: {count} invalid prop{'s' if count > 1 else ''}:\n{lines}"))


Expected = Union[type, tuple[type, ...]]


@dataclass
class Problems:
    """Collects problems, skipped checks and warnings while a construct checks its props.

    :meth:`within` gives a view whose prop names carry a prefix (``api_keys['ci'].``) and which
    shares the same lists.
    """

    prefix: str = ""
    _problems: list[Problem] = field(default_factory=list)
    _skips: list[tuple[str, str]] = field(default_factory=list)
    """(prop as the user wrote it, the check skipped)."""
    _warnings: list[tuple[str, str]] = field(default_factory=list)
    _undo: list[Callable[[], None]] = field(default_factory=list)
    """What to take back if the construct is refused, when none is being built (see :meth:`undo_if_refused`)."""

    def within(self, prefix: str) -> Problems:
        """A view that names props with ``prefix`` and records everything here."""
        return Problems(self.prefix + prefix, self._problems, self._skips, self._warnings, self._undo)

    def problems_only(self) -> Problems:
        """A view that records its problems here and drops its skipped checks and warnings: for a
        prop whose value nothing uses (a family's ``key_rotation`` when every key has its own)."""
        return Problems(self.prefix, self._problems, _undo=self._undo)

    def name(self, prop: str) -> str:
        """The prop's name as the user wrote it, with this view's prefix."""
        return f"{self.prefix}{prop}"

    def add(self, prop: str, received: str, allowed: str) -> None:
        """Record an invalid prop. ``received`` is already formatted (:func:`describe`, or a shape).

        A key-shaped value in ``received`` is hidden, and the message says where keys belong.
        """
        name = self.name(prop)
        shapes = key_shapes(received)
        if shapes and name.rsplit(".", 1)[-1] not in _KEY_PROPS:
            allowed = f"{allowed}; {_swap_hint(name, shapes[0])}"
        self._problems.append(Problem(redact(name), redact(received), redact(allowed)))

    def wrong_type(self, prop: str, value: object, allowed: str) -> None:
        """Record a value of the wrong type, shown with :func:`describe`."""
        self.add(prop, describe(value), allowed)

    def check_type(self, prop: str, value: object, expected: Expected, allowed: str, *, optional: bool = False) -> bool:
        """True when ``value`` is an ``expected`` (or None, when ``optional``); otherwise record it.

        ``bool`` is not accepted where an ``int`` is expected, nor an ``int`` where a ``bool`` is.
        """
        if value is None and optional:
            return True
        if isinstance(value, expected) and not (isinstance(value, bool) and bool not in _as_tuple(expected)):
            return True
        self.wrong_type(prop, value, allowed)
        return False

    def check_text(self, prop: str, value: object, allowed: str, *, optional: bool = True, max_length: int) -> bool:
        """A free-text string (a description): the right type and length, and no key in it."""
        if not self.check_type(prop, value, str, allowed, optional=optional):
            return False
        if value is None:
            return True
        if is_unresolved(value):
            self.skip(prop, f"no key material, at most {max_length} characters")
            return True
        assert isinstance(value, str)
        if key_shapes(value):
            self.add(prop, describe(value), f"{allowed}, without key material")
            return False
        if len(value) > max_length:
            self.add(prop, f"a text of {len(value)} characters", f"{allowed} of at most {max_length} characters")
            return False
        return True

    def refuse_key_shapes(self, prop: str, value: object, allowed: str) -> bool:
        """Refuse a literal string with a key in it; True when there is none (or it is not a string)."""
        if isinstance(value, str) and not is_unresolved(value) and key_shapes(value):
            self.add(prop, describe(value), allowed)
            return False
        return True

    def skip(self, prop: str, check: str) -> None:
        """Record a check that could not run because ``prop`` is a deploy-time value."""
        self._skips.append((self.name(prop), check))

    @property
    def _skipped(self) -> list[str]:
        """Each skipped check as the warning names it: ```prop` (check)``."""
        return [f"`{prop}` ({check})" for prop, check in dict.fromkeys(self._skips)]

    def warn(self, warning_id: str, message: str) -> None:
        """Record a warning: something that may be fine but deserves a look."""
        self._warnings.append((warning_id, message))

    def __len__(self) -> int:
        return len(self._problems)

    def undo_if_refused(self, undo: Callable[[], None]) -> None:
        """Run ``undo`` if the construct is refused, or fails for any other reason before it is built
        (:func:`gives_back_if_not_built`): for what a check recorded app-wide (a secret name claimed,
        a Datadog key held), so that a corrected construct built after a failed one does not clash
        with a secret that was never created."""
        if not undo_if_not_built(undo):
            self._undo.append(undo)

    def raise_if_any(self, scope: IConstruct) -> None:
        """Raise one error for all problems; otherwise annotate ``scope`` with the warnings."""
        if self._problems:
            for undo in reversed(self._undo):
                undo()
            raise DdSecretsValidationError(scope.node.path, self._problems)
        if self._skips:
            # One entry per check, naming every prop it was skipped for: a family of a hundred keys
            # from Secrets Manager says so once, not a hundred times.
            props_by_check: dict[str, dict[str, None]] = {}
            for prop, check in self._skips:
                props_by_check.setdefault(check, {})[prop] = None
            self.warn(
                DEPLOY_TIME_VALUES_NOT_CHECKED,
                "These checks were skipped because the values are only known at deploy time: "
                + "; ".join(
                    f"{', '.join(f'`{prop}`' for prop in props)} ({check})" for check, props in props_by_check.items()
                )
                + ". Make sure the deployed values satisfy them.",
            )
        for warning_id, message in dict.fromkeys(self._warnings):
            Annotations.of(scope).add_warning_v2(f"{WARNING_PREFIX}:{warning_id}", redact(message))


_BUILDING: list[list[Callable[[], object]]] = []
"""For each construct being built (the innermost last), what it recorded app-wide, to take back."""


def undo_if_not_built(undo: Callable[[], object]) -> bool:
    """Run ``undo`` if the construct being built fails (:func:`gives_back_if_not_built`); False
    when no construct is being built."""
    if not _BUILDING:
        return False
    _BUILDING[-1].append(undo)
    return True


_Init = TypeVar("_Init", bound=Callable[..., None])


def gives_back_if_not_built(init: _Init) -> _Init:
    """Wrap a construct's ``__init__`` so that a construct that raises, whatever the error (our
    refusal, or aws_cdk's own once the checks have passed), gives back what it recorded app-wide
    (names claimed, key ids and key parameters held, API keys counted), so that a construct built
    after it in the same app may use the same names, keys and ids. What a construct built inside
    it records (a family's secrets) is taken back with it.

    The construct itself: one that failed before it made anything (a refusal) leaves its scope, and
    its id may be used again; one that made children is half-built and may already be referred to
    from outside it (a shared role's policy, a queue's policy for its rule), so it stays, and
    synthesis fails naming it (:class:`_FailedWhileBuilt`) instead of writing it half-built."""

    @functools.wraps(init)
    def building(self: Construct, scope: Construct, construct_id: str, *args: Any, **kwargs: Any) -> None:
        recorded: list[Callable[[], object]] = []
        _BUILDING.append(recorded)
        try:
            init(self, scope, construct_id, *args, **kwargs)
        except BaseException as error:
            for undo in reversed(recorded):
                with contextlib.suppress(Exception):  # the error the user must see is the one raised
                    undo()
            _after_failure(self, scope, construct_id, error)
            raise
        finally:
            _BUILDING.pop()
        if _BUILDING:  # built inside another construct: taken back if that one fails
            _BUILDING[-1].extend(recorded)

    return cast(_Init, building)


def _after_failure(construct: Construct, scope: object, construct_id: object, error: BaseException) -> None:
    """Take ``construct`` out of ``scope`` if it got there and made nothing; keep a half-built one
    with a validation that fails synthesis (never another construct holding the id)."""
    if not (isinstance(scope, Construct) and isinstance(construct_id, str)):
        return
    found = scope.node.try_find_child(construct_id)
    if found is not construct:
        return
    if not construct.node.children:
        scope.node.try_remove_child(construct.node.id)
        return
    construct.node.add_validation(_FailedWhileBuilt(construct.node.id, type(error).__name__))


@jsii.implements(IValidation)
class _FailedWhileBuilt:
    """A construct whose ``__init__`` raised after it made children: never synthesized half-built."""

    def __init__(self, construct_id: str, error: str) -> None:
        self._id, self._error = construct_id, error

    def validate(self) -> list[str]:
        return [
            f"this construct failed while it was built ({self._error}) and is half-built: it is not synthesized. "
            f"Fix what raised the error, or take it out of its scope before synthesis "
            f"(scope.node.try_remove_child({self._id!r})) if nothing outside it refers to it (a rotation role it "
            "shared keeps the grants made for it); what it recorded (names, keys, key ids) was given back"
        ]


def _as_tuple(expected: Expected) -> tuple[type, ...]:
    return expected if isinstance(expected, tuple) else (expected,)
