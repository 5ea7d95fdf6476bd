"""Session fixtures of ``make e2e``: one emulator, one temporary folder, three recorded phases."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e import readme_steps
from e2e.emulator import healthy, localstack
from e2e.parameters import ValueMaker
from e2e.run import Deployment, Destroy, Runner, Update, deploy, destroy, update

TIMINGS: dict[str, float] = {}


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    # pytest runs its finalizers (which stop the emulator) on KeyboardInterrupt, not on SIGTERM.
    raise KeyboardInterrupt


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    """Everything the run writes outside the repository (emulator state, CDK_HOME, HOME, TMPDIR)."""
    folder = Path(tempfile.mkdtemp(prefix="ddsecrets-e2e-"))
    try:
        yield folder
    finally:
        if os.environ.get("E2E_KEEP_WORKDIR"):
            print(f"\ne2e: kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def endpoint(workdir: Path) -> Iterator[str]:
    python = os.environ.get("E2E_EMULATOR_PYTHON")
    if not python:
        pytest.fail("E2E_EMULATOR_PYTHON is not set: run `make e2e`, which makes .venv-e2e (Python >= 3.13)")
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with localstack(python, workdir) as url:
            yield url
        assert not healthy(url), f"the emulator still answers on {url} after it was stopped"
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def steps() -> readme_steps.DeploySteps:
    return readme_steps.load()


@pytest.fixture(scope="session")
def runner(endpoint: str, workdir: Path, steps: readme_steps.DeploySteps) -> Runner:
    runner = Runner(endpoint, workdir, steps)
    runner.timings = TIMINGS
    return runner


@pytest.fixture(scope="session")
def maker() -> ValueMaker:
    return ValueMaker()


@pytest.fixture(scope="session")
def deployment(runner: Runner, maker: ValueMaker) -> Deployment:
    return deploy(runner, maker)


@pytest.fixture(scope="session")
def updated(runner: Runner, deployment: Deployment, maker: ValueMaker) -> Update:
    return update(runner, deployment, maker)


@pytest.fixture(scope="session")
def destroyed(runner: Runner, deployment: Deployment, updated: Update) -> Destroy:
    return destroy(runner, deployment)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.write_sep("-", "e2e timings (s)")
        for label, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{seconds:7.1f}  {label}")
