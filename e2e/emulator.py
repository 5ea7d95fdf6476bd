"""LocalStack on 127.0.0.1, in a temporary folder, started and stopped by its process id.

LocalStack's Python distribution runs on the host, no container. It lives in its own venv
(``.venv-e2e``, Python >= 3.13, ``requirements-e2e.txt``) made by ``make e2e``; its interpreter is
passed in ``E2E_EMULATOR_PYTHON``. Every file it writes goes under the run's temporary folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Only what the example stacks, the bootstrap stack and the read-back need.
SERVICES = "cloudformation,secretsmanager,kms,iam,sts,ssm,s3,ecr,events,sns,logs,cloudtrail"
READY_WITHIN_S = 60
STOP_WITHIN_S = 30


def free_port() -> int:
    """A port nobody listens on now (several engineers and CI share the machine)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(workdir: Path, port: int) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir / "home"),
        "TMPDIR": str(workdir / "tmp"),
        # plux (LocalStack's plugin loader) caches entry points under $XDG_CACHE_HOME.
        "XDG_CACHE_HOME": str(workdir / "cache"),
        "FILESYSTEM_ROOT": str(workdir / "localstack" / "filesystem"),
        "LOCALSTACK_VOLUME_DIR": str(workdir / "localstack" / "volume"),
        # The default server (twisted) binds 0.0.0.0 whatever GATEWAY_LISTEN says; hypercorn honours it.
        "GATEWAY_SERVER": "hypercorn",
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "SERVICES": SERVICES,
        "OVERRIDE_IN_DOCKER": "0",
        "DNS_ADDRESS": "0",  # no DNS server
        "LOCALSTACK_TELEMETRY_DISABLED": "1",
        "DISABLE_EVENTS": "1",  # no analytics calls (it tries at shutdown otherwise)
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "SKIP_INFRA_DOWNLOADS": "1",
        # Any other outbound HTTP call fails on the spot instead of leaving the machine.
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost,localhost.localstack.cloud",
    }


def _die_with_parent() -> None:
    """Linux: the emulator gets SIGTERM if the test process dies without running its finalizers."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_localstack/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def localstack(python: str, workdir: Path) -> Iterator[str]:
    """Start LocalStack, yield its endpoint URL, and always stop it by its PID."""
    for folder in ("home", "tmp", "cache", "localstack"):
        (workdir / folder).mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (workdir / "localstack.log").open("w")
    process = subprocess.Popen(
        [python, "-m", "localstack.runtime.main"],
        cwd=workdir,
        env=environment(workdir, port),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so its children stop with it
        preexec_fn=_die_with_parent,
    )
    try:
        deadline = time.monotonic() + READY_WITHIN_S
        while not healthy(url):
            if process.poll() is not None:
                raise RuntimeError(f"LocalStack exited with {process.returncode}:\n{_tail(workdir)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"LocalStack not healthy within {READY_WITHIN_S}s:\n{_tail(workdir)}")
            time.sleep(0.5)
        yield url
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the emulator's process group (its id is the emulator's PID), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_WITHIN_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_WITHIN_S)
    with contextlib.suppress(ProcessLookupError):  # children that outlived it (same group)
        os.killpg(process.pid, signal.SIGKILL)


def _tail(workdir: Path, lines: int = 40) -> str:
    return "\n".join((workdir / "localstack.log").read_text(errors="replace").splitlines()[-lines:])
