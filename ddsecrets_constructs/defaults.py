"""Secure defaults, each with its reason. Changing any of them is a major (breaking) change.

The default schedules keep an admin rotation and its children's rotations apart in time: the admin
rotates on the 15th of each month from 02:00 to 04:00 UTC, the API and application keys on the 1st
from 06:00 to 08:00 UTC. Their windows never meet (different days *and* hours), and a failed admin
rotation leaves two weeks to fix it before the children next need the admin key.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy

from .rotation import KeyRotation

ADMIN_ROTATION = KeyRotation.cron(hour="2", day="15", window=Duration.hours(2))
"""Admin key: monthly, 15th, 02:00-04:00 UTC. cron(), not rate(): rate() windows all start at 00:00."""

KEY_ROTATION = KeyRotation.cron(hour="6", day="1", window=Duration.hours(2))
"""API and application keys: monthly, 1st, 06:00-08:00 UTC, never in the admin's window."""

ADMIN_ROTATES_IMMEDIATELY = False
"""The admin does not rotate when its schedule is created or changed: the children do (next line),
and an admin rotation at the same moment would delete the admin pair they are reading."""

KEY_ROTATES_IMMEDIATELY = True
"""API and application keys rotate as soon as their schedule exists, so the key pasted at deploy
time (seen by people, shells and parameters) is replaced at once by one nobody has seen."""

REMOVAL_POLICY = RemovalPolicy.RETAIN
"""Retain: deleting the secret would leave live Datadog keys with no stored copy (reference 5)."""

KMS_ACTIONS_TO_ROTATE = ("kms:Decrypt", "kms:GenerateDataKey")
KMS_ACTIONS_TO_READ = ("kms:Decrypt",)

ROTATION_ACTIONS = (
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
)
"""What Secrets Manager does with the role on each secret it rotates (reference section 4)."""

ADMIN_READ_ACTIONS = ("secretsmanager:GetSecretValue",)
"""What a child's rotation needs on the admin secret: read only."""
