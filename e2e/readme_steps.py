"""The shell steps of the README's "Deploying for real" section, as data.

``make e2e`` runs these commands against the emulator, and ``tests/test_readme_deploy_steps.py``
checks them against the synthesized templates without one, so that the README cannot drift from
what was actually deployed. Only standard library: the fast test runs it on Python 3.11.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "## Deploying for real"

# `--parameters Stack:Name=value`: the value is a shell word (a "$VAR" or a <placeholder>).
PARAMETER = re.compile(
    r"--parameters\s+(?P<stack>[A-Za-z][A-Za-z0-9-]*):(?P<name>[A-Za-z0-9]+)=(?P<value>\"[^\"]*\"|<[^<>]*>|\S+)"
)
PLACEHOLDER = re.compile(r"^<[^<>]+>$")
VARIABLE = re.compile(r'^"\$(?P<name>[A-Z_][A-Z0-9_]*)"$')
ENVIRONMENT = re.compile(r"aws://(?P<account>[0-9]{12})/(?P<region>[a-z0-9-]+)")


@dataclass(frozen=True)
class Parameter:
    """One ``--parameters`` argument as the README writes it."""

    stack: str
    name: str
    written: str  # the shell word: "$VAR" or <placeholder>

    @property
    def variable(self) -> str | None:
        """The shell variable the value comes from (a key read with ``read -rs``), if any."""
        match = VARIABLE.match(self.written)
        return match.group("name") if match else None

    @property
    def is_placeholder(self) -> bool:
        return bool(PLACEHOLDER.match(self.written))


@dataclass(frozen=True)
class Command:
    """One shell command of a README block (continuation lines joined, comment removed)."""

    text: str
    reads: tuple[str, ...] = ()  # variables read from standard input by `read -rs` before it
    parameters: tuple[Parameter, ...] = field(default=())
    prelude: str = ""  # the README's `read -rs ...` line(s) before it, verbatim
    comment: str = ""  # the README's trailing `# ...` comment, without the '#'

    def script(self, text: str | None = None) -> str:
        """The command (or ``text``, a filled-in copy of it) after its ``read -rs`` lines."""
        return "\n".join(line for line in (self.prelude, text or self.text) if line)

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text)

    @property
    def cdk_verb(self) -> str | None:
        """``synth``/``bootstrap``/``deploy``/``destroy`` for a CDK CLI command, else None."""
        words = self.words
        return words[words.index("cdk") + 1] if "cdk" in words else None

    @property
    def stack(self) -> str | None:
        """The stack a ``cdk deploy``/``cdk destroy`` names (the first word after the options it uses)."""
        words = self.words
        if self.cdk_verb not in ("deploy", "destroy"):
            return None
        rest = words[words.index("cdk") + 2 :]
        while rest and rest[0].startswith("-"):
            rest = rest[2:] if rest[0] in ("--app", "-a") else rest[1:]
        return rest[0] if rest else None

    def with_values(self, values: dict[str, str]) -> str:
        """The command with each ``<placeholder>`` parameter value replaced by ``values[name]``.

        Variables ("$API_KEY") stay: the shell reads them with ``read -rs`` as an operator would.
        """

        def fill(match: re.Match[str]) -> str:
            if not PLACEHOLDER.match(match.group("value")):
                return match.group(0)
            value = values[match.group("name")]
            return f"--parameters {match.group('stack')}:{match.group('name')}={shlex.quote(value)}"

        return PARAMETER.sub(fill, self.text)


@dataclass(frozen=True)
class DeploySteps:
    """The README's deploy (section 2), re-seed (section 5) and removal (section 6) commands.

    Section 2 deploys the seed stack, then a consumer stack after the stack it imports from;
    section 6 destroys the seed stack and the consumer stack (before the stack it imports from).
    """

    deploy: tuple[Command, ...]
    reseed: Command
    destroys: tuple[Command, ...]

    @property
    def synth(self) -> Command:
        (command,) = [c for c in self.deploy if c.text.startswith("make ")]
        return command

    @property
    def bootstrap(self) -> Command:
        (command,) = [c for c in self.deploy if c.cdk_verb == "bootstrap"]
        return command

    @property
    def first_deploy(self) -> Command:
        """The README's deploy of its own stack (the seed stack): the model for the other stacks."""
        return self.deploys[0]

    @property
    def deploys(self) -> tuple[Command, ...]:
        """Every ``cdk deploy`` of section 2, in the README's order."""
        return tuple(c for c in self.deploy if c.cdk_verb == "deploy")

    @property
    def destroy(self) -> Command:
        """The README's destroy of its own stack: the model for the other stacks."""
        return self.destroys[0]

    def documented_deploy(self, stack: str) -> Command | None:
        """The README's own deploy command for ``stack``, if it writes one."""
        return next((c for c in self.deploys if c.stack == stack), None)

    def documented_destroy(self, stack: str) -> Command | None:
        """The README's own destroy command for ``stack``, if it writes one."""
        return next((c for c in self.destroys if c.stack == stack), None)

    @property
    def account_and_region(self) -> tuple[str, str]:
        match = ENVIRONMENT.search(self.bootstrap.text)
        assert match, f"no aws://<account>/<region> in {self.bootstrap.text!r}"
        return match.group("account"), match.group("region")

    def deploy_command(self, stack: str, values: dict[str, str]) -> str:
        """The README's deploy command for another stack: same prefix, that stack's parameters."""
        head = self.first_deploy.text.split(" --parameters", 1)[0].rstrip()
        documented = self.first_deploy.stack
        assert documented is not None
        head = re.sub(rf"(?<=\s){re.escape(documented)}$", stack, head)
        arguments = " ".join(f"--parameters {stack}:{name}={shlex.quote(value)}" for name, value in values.items())
        return f"{head} {arguments}".strip()

    def for_stack(self, command: Command, stack: str) -> str:
        """A one-stack command of the README (re-seed, destroy) aimed at ``stack``."""
        documented = command.stack
        assert documented is not None
        return re.sub(rf"\b{re.escape(documented)}\b", stack, command.text)


def section(text: str) -> str:
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else len(text)]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^[ \t]*```sh\n(.*?)^[ \t]*```", text, flags=re.DOTALL | re.MULTILINE)


def commands(block: str) -> list[Command]:
    """The commands of one block; a `read -rs A; read -rs B` line is attached to the next command."""
    joined = re.sub(r"\s*\\\n\s*", " ", block)
    found: list[Command] = []
    pending: list[str] = []
    prelude: list[str] = []
    for raw in joined.splitlines():
        line, comment = _split_comment(raw.strip())
        if not line:
            continue
        reads = re.findall(r"\bread -rs ([A-Z_][A-Z0-9_]*)", line)
        if reads:
            pending += reads
            prelude.append(line)
            continue
        parameters = tuple(
            Parameter(m.group("stack"), m.group("name"), m.group("value")) for m in PARAMETER.finditer(line)
        )
        found.append(
            Command(text=line, reads=tuple(pending), parameters=parameters, prelude="\n".join(prelude), comment=comment)
        )
        pending, prelude = [], []
    return found


def _split_comment(line: str) -> tuple[str, str]:
    """The line without its trailing ``  # comment``, and the comment (the README's commands have
    no '#' otherwise)."""
    match = re.search(r"(?:^|\s+)#\s*(.*)$", line)
    if match is None:
        return line, ""
    return line[: match.start()], match.group(1).strip()


def load(readme: Path = README) -> DeploySteps:
    blocks = [commands(b) for b in shell_blocks(section(readme.read_text()))]
    cdk_blocks = [b for b in blocks if any(c.cdk_verb for c in b)]
    *deploy_blocks, reseed_block, destroy_block = cdk_blocks
    (reseed,) = reseed_block
    destroys = tuple(c for c in destroy_block if c.cdk_verb == "destroy")
    return DeploySteps(deploy=tuple(c for b in deploy_blocks for c in b), reseed=reseed, destroys=destroys)


def check_commands(readme: Path = README) -> list[Command]:
    """The ``aws ...`` commands of section 4 ("Check that rotation works")."""
    blocks = [commands(b) for b in shell_blocks(section(readme.read_text()))]
    return [c for b in blocks for c in b if c.text.startswith("aws ")]
