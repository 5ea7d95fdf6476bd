"""ARNs of secrets by name, built from the stack's partition, region and account (never ``arn:aws:``)."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack


def secret_arn_by_name(stack: Stack, name: str) -> str:
    """``arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`` (``name`` may end in ``*``)."""
    return stack.format_arn(
        service="secretsmanager", resource="secret", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
