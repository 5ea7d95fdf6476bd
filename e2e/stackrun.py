"""One deployed stack: its template, the values passed, and everything read back right after deploy."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from e2e import readback
from e2e.intrinsics import Deployed, resolve


@dataclass
class StackRun:
    name: str
    template: dict[str, Any]
    parameters: dict[str, str]
    described: dict[str, Any]  # DescribeStacks, as CloudFormation shows it to anyone
    physical_ids: dict[str, str]
    read: dict[str, dict[str, Any] | None]  # logical id -> deployed resource (READERS types)
    context: Deployed = field(repr=False)

    @cached_property
    def _expected(self) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resolve(resource.get("Properties", {}), self.context)
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] in readback.READERS
        }

    def expected(self, logical_id: str) -> dict[str, Any]:
        """The synthesized properties, with parameters, Refs and GetAtts replaced by deployed values."""
        return self._expected[logical_id]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}


def capture(
    aws: readback.Aws,
    name: str,
    template: dict[str, Any],
    parameters: dict[str, str],
    account: str,
    exports: dict[str, str],
) -> StackRun:
    """Read a just-deployed stack back: DescribeStacks, its resources, and each readable resource."""
    cfn = aws.client("cloudformation")
    (described,) = cfn.describe_stacks(StackName=name)["Stacks"]
    summaries = [
        s
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name)
        for s in page["StackResourceSummaries"]
    ]
    physical_ids = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    types = {k: v["Type"] for k, v in template["Resources"].items()}
    attributes: dict[tuple[str, str], str] = {}

    def attribute(logical_id: str, attribute_name: str) -> str:
        key = (logical_id, attribute_name)
        if key not in attributes:
            attributes[key] = readback.attribute(aws, types[logical_id], physical_ids[logical_id], attribute_name)
        return attributes[key]

    context = Deployed(
        stack_name=name,
        stack_id=described["StackId"],
        account=account,
        region=aws.region,
        parameters=parameters,
        physical_ids=physical_ids,
        attribute=attribute,
        exports=exports,
    )
    read = {
        logical_id: readback.read(aws, resource_type, physical_ids[logical_id])
        for logical_id, resource_type in types.items()
        if resource_type in readback.READERS
    }
    run = StackRun(name, template, parameters, described, physical_ids, read, context)
    for logical_id in read:  # resolve now, while every Fn::GetAtt can still be read from the service
        run.expected(logical_id)
    return run
