"""The partition of a literal region, asked of aws-cdk-lib only when the region's name does not tell.

``RegionInfo.get(region).partition`` makes node load aws-cdk-lib's region-info module on its first
call, a table of facts for every region and service: 0.1-0.15 s of every synth, the same with one
key or a hundred (docs/performance.md, "Fifth round"), in an app without the feature flag
``@aws-cdk/core:enablePartitionLiterals`` (with it, aws-cdk-lib's own constructs load the module
anyway, and this saves nothing). The regions of the commercial partition
``aws`` are named the way AWS publishes for it (the ``regionRegex`` of partition ``aws`` in the AWS
SDKs' ``partitions.json``, shared by botocore and the JavaScript, Go and .NET SDKs); for such a
name the answer is ``aws`` without asking node. Any other name (China, GovCloud, the ISO
partitions, the European Sovereign Cloud, a shape AWS has not used yet) is asked of
``RegionInfo``, as before. ``tests/test_partitions.py`` holds the two answers equal for every
region aws-cdk-lib knows, so a new aws-cdk-lib that put a region so named elsewhere fails the
tests instead of changing an estimate.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from aws_cdk.region_info import RegionInfo

COMMERCIAL_REGION = re.compile(r"(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+", re.ASCII)
"""``^(us|eu|ap|sa|ca|me|af|il|mx)\\-\\w+\\-\\d+$``: the AWS SDKs' rule for a region of partition ``aws``."""


@lru_cache(maxsize=64)
def partition_of(region: str) -> Optional[str]:
    """The partition of the literal ``region`` (None when aws-cdk-lib does not know it)."""
    if COMMERCIAL_REGION.fullmatch(region):
        return "aws"
    partition: Optional[str] = RegionInfo.get(region).partition
    return partition
