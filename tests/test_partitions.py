"""The partition of a literal region: aws-cdk-lib's answer, without loading its region facts for a
commercial region's name (``ddsecrets_constructs/_partitions.py``, docs/performance.md "Fifth round").

The IAM size budgets count the partition in every secret ARN they estimate, so a wrong partition
would pack a role's policies past IAM's limits (too short) or split them early (too long).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.region_info import RegionInfo

from ddsecrets_constructs import DatadogAdminKeySecret, DatadogManagedSecrets, DdSecretsValidationError, _partitions
from ddsecrets_constructs._iam_budget import secret_arn_length
from tests.support import ACCOUNT, SERVICE_ACCOUNT, admin_props, new_stack

KNOWN_REGIONS = sorted(region.name for region in RegionInfo.regions)


@pytest.fixture(autouse=True)
def _fresh_answers() -> Iterator[None]:
    """Each test asks anew (answers are kept per process)."""
    _partitions.partition_of.cache_clear()
    yield
    _partitions.partition_of.cache_clear()


class _CountingRegionInfo:
    """aws-cdk-lib's RegionInfo, counting the regions asked of it."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get(self, name: str) -> Any:
        self.asked.append(name)
        return RegionInfo.get(name)


@pytest.fixture
def region_info(monkeypatch: pytest.MonkeyPatch) -> _CountingRegionInfo:
    counting = _CountingRegionInfo()
    monkeypatch.setattr(_partitions, "RegionInfo", counting)
    return counting


def test_every_region_aws_cdk_lib_knows_gets_aws_cdk_libs_partition() -> None:
    assert len(KNOWN_REGIONS) > 30
    differing = {
        region: (_partitions.partition_of(region), RegionInfo.get(region).partition)
        for region in KNOWN_REGIONS
        if _partitions.partition_of(region) != RegionInfo.get(region).partition
    }
    assert differing == {}


def test_only_the_commercial_partitions_regions_are_answered_without_aws_cdk_lib(
    region_info: _CountingRegionInfo,
) -> None:
    for region in KNOWN_REGIONS:
        _partitions.partition_of(region)
    asked = set(region_info.asked)
    assert asked == {region for region in KNOWN_REGIONS if RegionInfo.get(region).partition != "aws"}
    # China, GovCloud, the ISO partitions and the European Sovereign Cloud, each asked.
    assert {"cn-north-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1"} <= asked
    assert {"eusc-de-east-1", "us-isof-south-1"} <= asked


def test_a_name_of_the_commercial_shape_is_aws_and_any_other_name_is_asked(region_info: _CountingRegionInfo) -> None:
    # The AWS SDKs' rule for partition aws: a region aws-cdk-lib does not know yet still gets it.
    assert _partitions.partition_of("ap-southeast-99") == "aws"
    assert _partitions.partition_of("us-gov-north-9") is None  # unknown to aws-cdk-lib: not guessed
    assert _partitions.partition_of("xx-new-1") is None
    assert region_info.asked == ["us-gov-north-9", "xx-new-1"]


@pytest.mark.parametrize(
    "name",
    [
        "us-east-1a",
        "us-east-1\n",
        "xus-east-1",
        "us-east-x",
        "us-e\N{LATIN SMALL LETTER A WITH DIAERESIS}st-1",
        "us-east-\N{ARABIC-INDIC DIGIT ONE}",
        "us-east-1-",
        "cn-north-1",
        "US-EAST-1",
    ],
)
def test_a_name_that_only_looks_commercial_is_asked_of_aws_cdk_lib(name: str, region_info: _CountingRegionInfo) -> None:
    # The whole name, ASCII letters and digits only, as the SDKs' ^...$ regular expression reads it.
    assert _partitions.partition_of(name) == RegionInfo.get(name).partition
    assert region_info.asked == [name]


@pytest.mark.parametrize(
    ("region", "partition"),
    [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("us-isob-east-1", "aws-iso-b")],
)
def test_the_arn_estimate_counts_the_partition_of_the_stacks_region(region: str, partition: str) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Stack", env=cdk.Environment(account=ACCOUNT, region=region))
    expected = len(f"arn:{partition}:secretsmanager:{region}:{ACCOUNT}:secret:") + 10 + len("-AbCdEf")
    assert secret_arn_length(stack, 10) == expected


def test_a_family_in_a_commercial_region_never_asks_aws_cdk_lib_for_a_partition(
    region_info: _CountingRegionInfo,
) -> None:
    _, stack = new_stack()  # eu-west-1
    DatadogManagedSecrets(stack, "Datadog", **admin_props(stack))
    assert region_info.asked == []


def test_an_imported_admin_of_another_partition_in_an_unknown_commercial_region_is_refused() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Stack", env=cdk.Environment(account=ACCOUNT, region="us-east-99"))
    arn = "arn:{}:secretsmanager:us-east-99:" + ACCOUNT + ":secret:datadog-admin-AbC123"
    DatadogAdminKeySecret.from_admin_secret_attributes(
        stack, "Same", secret_complete_arn=arn.format("aws"), service_account_id=SERVICE_ACCOUNT
    )
    with pytest.raises(
        DdSecretsValidationError, match="an admin secret in the stack's partition 'aws', not 'aws-us-gov'"
    ):
        DatadogAdminKeySecret.from_admin_secret_attributes(
            stack, "Other", secret_complete_arn=arn.format("aws-us-gov"), service_account_id=SERVICE_ACCOUNT
        )
