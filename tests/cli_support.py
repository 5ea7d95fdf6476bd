"""Shared helpers of the ``ddsecrets`` tests: the example app's cloud assembly, and running the CLI."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@cache
def example_assembly() -> Path:
    """The example stacks synthesized once into a cloud assembly, as ``cdk synth`` writes it
    (without the cdk-nag packs, which the example tests already run)."""
    import tempfile

    import aws_cdk as cdk

    from app import STACKS

    out = Path(tempfile.mkdtemp(prefix="ddsecrets-cli-assembly-"))
    app = cdk.App(outdir=str(out), context=json.loads((ROOT / "cdk.json").read_text())["context"])
    for stack_id, stack_class in STACKS.items():
        stack_class(app, stack_id)
    app.synth()
    return out


def template_of(assembly: Path, stack: str) -> dict[str, Any]:
    return json.loads((assembly / f"{stack}.template.json").read_text())  # type: ignore[no-any-return]


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]

    def by_check(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(c["subject"], c["check"]): c for c in self.json["checks"]}

    def statuses(self) -> dict[str, list[str]]:
        """Check name -> statuses (one per subject), from the JSON report."""
        found: dict[str, list[str]] = {}
        for c in self.json["checks"]:
            found.setdefault(c["check"], []).append(c["status"])
        return found


def run_cli(*argv: str) -> Run:
    """The CLI's ``main`` in this process, with stdout and stderr captured."""
    from ddsecrets_cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())
