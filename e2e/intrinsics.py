"""Resolve a synthesized template's intrinsic functions with what was really deployed.

``Ref`` of a parameter becomes the value passed to ``cdk deploy``, ``Ref`` of a resource its
physical id, ``Fn::GetAtt`` the attribute read back from the service, so a synthesized property
can be compared with the deployed one as a plain value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NO_VALUE = object()


@dataclass
class Deployed:
    """What one deployed stack resolves to."""

    stack_name: str
    stack_id: str
    account: str
    region: str
    parameters: dict[str, str]
    physical_ids: dict[str, str]
    # (logical id, attribute) -> value, read from the service on demand
    attribute: Callable[[str, str], str]
    exports: dict[str, str]


def resolve(value: Any, deployed: Deployed) -> Any:
    if isinstance(value, list):
        return [r for r in (resolve(v, deployed) for v in value) if r is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            return _ref(argument, deployed)
        if key == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return deployed.attribute(logical_id, attribute)
        if key == "Fn::Join":
            separator, parts = argument
            return separator.join(str(resolve(p, deployed)) for p in resolve(parts, deployed))
        if key == "Fn::Select":
            index, items = argument
            return resolve(items, deployed)[int(resolve(index, deployed))]
        if key == "Fn::Split":
            separator, text = argument
            return str(resolve(text, deployed)).split(separator)
        if key == "Fn::ImportValue":
            return deployed.exports[resolve(argument, deployed)]
        if key.startswith("Fn::"):
            raise NotImplementedError(f"{key} is not resolved by e2e/intrinsics.py: add it")
    return {k: r for k, r in ((k, resolve(v, deployed)) for k, v in value.items()) if r is not NO_VALUE}


def imports(value: Any) -> set[str]:
    """The export names a template value imports (its ``Fn::ImportValue``s with a literal name)."""
    if isinstance(value, dict):
        found = {value["Fn::ImportValue"]} if set(value) == {"Fn::ImportValue"} else set()
        return found | {name for v in value.values() for name in imports(v)}
    if isinstance(value, list):
        return {name for v in value for name in imports(v)}
    return set()


def _ref(name: str, deployed: Deployed) -> Any:
    pseudo = {
        "AWS::AccountId": deployed.account,
        "AWS::Region": deployed.region,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": deployed.stack_name,
        "AWS::StackId": deployed.stack_id,
        "AWS::NoValue": NO_VALUE,
    }
    if name in pseudo:
        return pseudo[name]
    if name in deployed.parameters:
        return deployed.parameters[name]
    return deployed.physical_ids[name]


def canonical(value: Any) -> Any:
    """A JSON value in one spelling: IAM and event documents compare equal however lists are ordered
    or a one-element list is written (``"a"`` and ``["a"]`` mean the same there)."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return canonical(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def canonical_policy(document: Any) -> Any:
    """An IAM policy document with every scalar-or-list field spelled as a sorted list."""
    document = json.loads(document) if isinstance(document, str) else document
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    fixed = []
    for statement in statements:
        s = dict(statement)
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in s:
                s[key] = _as_list(s[key])
        if isinstance(s.get("Principal"), dict):
            s["Principal"] = {k: _as_list(v) for k, v in s["Principal"].items()}
        if "Condition" in s:
            s["Condition"] = {op: {k: _as_list(v) for k, v in kv.items()} for op, kv in s["Condition"].items()}
        fixed.append(canonical(s))
    return {"Version": document.get("Version"), "Statement": canonical(fixed)}


def _as_list(value: Any) -> list[Any]:
    return sorted(value) if isinstance(value, list) else [value]
