"""Warn about every identity policy that lets a principal read an admin secret.

Whoever reads an admin secret holds the admin API and application keys, which create, read and
delete Datadog keys of the service account: a key minter. Rotation needs that read and the library
grants it itself (the keys roles' ``ReadDatadogAdminSecrets``); anything else deserves a look. An
Aspect sees the policies of the admin's stack however they were made (``admin.grant_read``,
``admin.secret.grant_read``, a hand-written statement, a statement on ``*``), and reads actions and
resources as IAM matches them: wildcards in either (``secretsmanager:Get*``, ``...:secret:*``),
``NotAction`` and ``NotResource``. A partition, region or account known only at deploy time is
taken to match, so the warning errs on the side of a look too many.
"""

from __future__ import annotations

import functools
import re
import weakref
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Optional

import jsii
from aws_cdk import Annotations, Aspects, IAspect, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import IConstruct

from .rotation_role import DatadogRotationRole
from .validation import WARNING_PREFIX, is_unresolved, undo_if_not_built

WARNING_ID = f"{WARNING_PREFIX}:adminSecretReader"
_READ_ACTION = "secretsmanager:getsecretvalue"
_UNKNOWN = None  # an ARN field known only at deploy time: any pattern may match it
_WILDCARD = re.compile(r"[*?]")
# The partition, region and account (and URL suffix): known only at deploy time, taken to match
# wherever they appear (they are the admin's own in its stack).
_ENVIRONMENT = {"AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix"}
# With the stack's name and id: in a Resource they may be anything, so they match too.
_PSEUDO_PARAMETERS = _ENVIRONMENT | {"AWS::StackName", "AWS::StackId"}
# An IAM policy variable (``${aws:PrincipalTag/team}``): IAM fills it in per request, so it may be anything.
_POLICY_VARIABLE = re.compile(r"\$\{[^}]*\}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows_read(statement: dict[str, Any]) -> bool:
    """Whether the statement's actions include ``GetSecretValue`` (IAM action names are
    case-insensitive; ``*`` and ``?`` are wildcards)."""
    if "NotAction" in statement:
        return not any(fnmatchcase(_READ_ACTION, str(a).lower()) for a in _as_list(statement["NotAction"]))
    return any(fnmatchcase(_READ_ACTION, str(a).lower()) for a in _as_list(statement.get("Action", [])))


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _sub_pattern(template: Any, variables: Any, *, wide: bool) -> Optional[str]:
    """An ``Fn::Sub`` resource as a glob: pseudo parameters as ``*``, ``${!x}`` (the literal
    ``${x}``, an IAM policy variable) as ``*``, a variable given as a string as that string; None
    when another variable is in it. Not ``wide`` (a ``NotResource``, where a wider glob would
    exclude more): only the partition, region and account become ``*``, anything else gives None."""
    if not isinstance(template, str) or not isinstance(variables, dict):
        return None
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1)
        if name in _ENVIRONMENT or (wide and (name.startswith("!") or name in _PSEUDO_PARAMETERS)):
            return "*"
        if isinstance(variables.get(name), str):
            return str(variables[name])
        unknown = True
        return ""

    glob = _SUB_VARIABLE.sub(replace, template)
    return None if unknown else glob


def _as_ref(resource: Any) -> Any:
    """``{"Fn::Sub": "${X}"}`` is ``{"Ref": "X"}`` (how an admin's ``Ref`` may be written)."""
    if isinstance(resource, dict) and list(resource) == ["Fn::Sub"] and isinstance(resource["Fn::Sub"], str):
        whole = re.fullmatch(r"\$\{([A-Za-z0-9]+)\}", resource["Fn::Sub"])
        if whole:
            return {"Ref": whole.group(1)}
    return resource


def _pattern(resource: Any, *, wide: bool = True) -> Optional[str]:
    """A resource as the glob IAM would match it, the partition, region and account (``Ref`` of a
    pseudo parameter inside an ``Fn::Join``, or ``${AWS::...}`` in an ``Fn::Sub``) as ``*``. None
    for anything else known only at deploy time (another resource's ARN, an import, a parameter):
    compared exactly, not as a pattern, so that ``<bucket ARN>/*`` is not taken for a pattern over
    every secret."""
    if isinstance(resource, str):
        return _POLICY_VARIABLE.sub("*", resource) if wide else resource
    if isinstance(resource, dict) and list(resource) == ["Fn::Sub"]:
        sub = resource["Fn::Sub"]
        if isinstance(sub, str):
            return _sub_pattern(sub, {}, wide=wide)
        return _sub_pattern(sub[0], sub[1], wide=wide) if isinstance(sub, list) and len(sub) == 2 else None
    if isinstance(resource, dict) and list(resource) == ["Fn::Join"]:
        separator, parts = resource["Fn::Join"]
        if isinstance(separator, str) and isinstance(parts, list):
            glob = []
            for part in parts:
                if isinstance(part, str):
                    glob.append(part)
                elif isinstance(part, dict) and part.get("Ref") in (_PSEUDO_PARAMETERS if wide else _ENVIRONMENT):
                    glob.append("*")
                else:
                    return None
            joined = separator.join(glob)
            return _POLICY_VARIABLE.sub("*", joined) if wide else joined
    return None


@dataclass(frozen=True)
class _Admin:
    """An admin secret of the stack: its construct path and the fields of its ARN known at synth
    time (``arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters>``)."""

    path: str
    partition: Optional[str]
    region: Optional[str]
    account: Optional[str]
    name: Optional[str]
    generated_from: Optional[str] = None
    """The logical id CloudFormation starts the name with when it generates one (no ``Name``):
    ``<logical id>-<12 characters>``, as the IAM size budgets assume (UNVERIFIED)."""

    def matched_by(self, glob: str) -> bool:
        """Whether the ARN glob can match this admin's ARN. A field known only at deploy time takes
        the glob's own value for that field when the glob spells it out, so only what is known can
        rule a match out."""
        fields = glob.split(":", 6)
        complete = len(fields) == 7

        def fill(index: int, value: Optional[str]) -> str:
            if value is not _UNKNOWN:
                return value
            # The glob's own field, when it has that field whole (not a last field a "*" extends).
            whole = index < len(fields) - 1 or complete
            return fields[index] if whole and not _WILDCARD.search(fields[index]) else "x"

        if self.name is _UNKNOWN and self.generated_from is not None:
            own = fields[6] if complete and not _WILDCARD.search(fields[6]) else ""
            generated = f"{self.generated_from}-AbCdEfGhIjKl-AbCdEf"  # any 12 characters, then the suffix
            name = own if own.startswith(f"{self.generated_from}-") else generated
        elif self.name is _UNKNOWN:
            name = fill(6, _UNKNOWN)
        elif complete and not _WILDCARD.search(fields[6]):
            # One live secret's ARN, with the 6 characters Secrets Manager added: which secret it
            # is cannot be told at synth time, so a name of this admin with any suffix matches.
            name = fields[6] if re.fullmatch(re.escape(self.name) + r"-\w{6}", fields[6]) else f"{self.name}-AbCdEf"
        else:
            name = f"{self.name}-AbCdEf"
        region, account = fill(3, self.region), fill(4, self.account)
        arn = f"arn:{fill(1, self.partition)}:secretsmanager:{region}:{account}:secret:{name}"
        return _glob_regex(glob).fullmatch(arn) is not None


def _glob_regex(glob: str) -> re.Pattern[str]:
    """IAM's resource matching: ``*`` any characters (colons included), ``?`` one; nothing else
    is special (unlike ``fnmatch``, which reads ``[...]``)."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob), re.DOTALL)


# Resources holding one identity policy document (the inline policy resources included).
_ONE_DOCUMENT = (iam.CfnPolicy, iam.CfnManagedPolicy, iam.CfnRolePolicy, iam.CfnUserPolicy, iam.CfnGroupPolicy)


@jsii.implements(IAspect)
class _AdminReaders:
    """One per stack holding admin secrets: their resolved ARNs (``Ref``) and construct paths."""

    def __init__(self) -> None:
        self.watched: list[_Watched] = []
        self.admins: dict[str, _Admin] = {}

    def visit(self, leaf: IConstruct) -> None:
        """Called once, on the leaf it was added to: scan the whole stack in one call (an Aspect on
        the stack would cost a jsii round trip for every construct)."""
        stack = Stack.of(leaf)
        self.admins = dict(watched.admin(stack) for watched in self.watched)
        for node in stack.node.find_all():
            self._check(node)

    def _check(self, node: IConstruct) -> None:
        if isinstance(node, _ONE_DOCUMENT):
            documents = [node.policy_document]
        elif isinstance(node, (iam.CfnRole, iam.CfnUser, iam.CfnGroup)) and node.policies is not None:
            documents = [p.policy_document if hasattr(p, "policy_document") else p for p in _as_list(node.policies)]
        else:
            return
        scope = node.node.scope
        if isinstance(scope, DatadogRotationRole) or (
            scope is not None and isinstance(scope.node.scope, DatadogRotationRole)
        ):
            return  # the library's rotation roles read admin secrets on purpose
        stack = Stack.of(node)
        for document in documents:
            admin = self._reads_admin(stack.resolve(document))
            if admin is not None:
                what = "every secret, admin secrets included" if admin == "*" else f"the admin secret at {admin}"
                Annotations.of(node).add_warning_v2(
                    WARNING_ID,
                    f"This policy lets its principal read {what}: whoever reads an admin secret holds the admin API "
                    "and application keys, which create, read and delete Datadog keys of the service account (a "
                    "key minter). Grant a child key secret instead unless the principal must administer Datadog "
                    "keys.",
                )
                return

    def _reads_admin(self, document: Any) -> Optional[str]:
        """ "*" for a statement on every resource, else how the first admin secret it reads is named
        (its path, and the pattern when the statement names it by one); None when it reads none."""
        if not isinstance(document, dict):
            return None
        for statement in _as_list(document.get("Statement", [])):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or not _allows_read(statement):
                continue
            if "NotResource" in statement:
                excluded = [_as_ref(r) for r in _as_list(statement["NotResource"])]
                for key, admin in self.admins.items():
                    # Narrow: a NotResource excludes the admin only if it surely names it.
                    if not any(repr(r) == key or self._names(admin, r, wide=False) for r in excluded):
                        return f"{admin.path!r} (every resource but the statement's NotResource)"
                continue
            for resource in map(_as_ref, _as_list(statement.get("Resource", []))):
                if resource == "*":
                    return "*"
                if repr(resource) in self.admins:
                    return repr(self.admins[repr(resource)].path)
                for admin in self.admins.values():
                    if self._names(admin, resource):
                        return f"{admin.path!r} (through the pattern {_pattern(resource)!r})"
        return None

    @staticmethod
    def _names(admin: _Admin, resource: Any, *, wide: bool = True) -> bool:
        glob = _pattern(resource, wide=wide)
        return glob is not None and admin.matched_by(glob)


_BY_STACK: weakref.WeakKeyDictionary[Stack, _AdminReaders] = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class _Watched:
    """An admin secret as registered; what the policies are compared with is read at synthesis."""

    arn: str
    path: str
    leaf: IConstruct
    name_generated: bool

    def admin(self, stack: Stack) -> tuple[str, _Admin]:
        """The admin's resolved ARN (its ``Ref``) and its ARN's fields, read now: the logical id
        (``override_logical_id``), which the ``Ref`` names and a generated name starts with, may
        have changed since the admin was built."""
        leaf = self.leaf
        name = leaf.name if isinstance(leaf, secretsmanager.CfnSecret) else None
        # Without a name given, CloudFormation generates one (the L2's lazy physical name is a token).
        generated_from = (
            str(stack.resolve(leaf.logical_id))
            if isinstance(leaf, secretsmanager.CfnSecret) and self.name_generated
            else None
        )

        def known(value: Optional[str]) -> Optional[str]:
            return _UNKNOWN if value is None or is_unresolved(value) else value

        return repr(stack.resolve(self.arn)), _Admin(
            path=self.path,
            partition=known(stack.partition),
            region=known(stack.region),
            account=known(stack.account),
            name=known(name),
            generated_from=generated_from,
        )


def watch_admin(admin_secret_arn: str, admin_path: str, leaf: IConstruct, *, name_generated: bool = False) -> None:
    """Register an admin secret of ``leaf``'s stack; the first one adds the Aspect to ``leaf`` (a
    construct without children, e.g. the admin's ``AWS::SecretsManager::Secret``).
    ``name_generated``: the admin was given no name (CloudFormation generates one from its logical id).
    """
    stack = Stack.of(leaf)
    readers = _BY_STACK.get(stack)
    if readers is None:
        readers = _BY_STACK[stack] = _AdminReaders()
        Aspects.of(leaf).add(readers)
        # A family that fails after building its admin leaves the tree with the Aspect: the next
        # admin of the stack adds another.
        undo_if_not_built(functools.partial(_BY_STACK.pop, stack, None))
    watched = _Watched(admin_secret_arn, admin_path, leaf, name_generated)
    readers.watched.append(watched)
    undo_if_not_built(functools.partial(readers.watched.remove, watched))
