"""Run docker-compose.yml with podman, the compose file being the only source of what runs.

podman-compose 1.6 cannot drive this file on podman 4.3 (it ignores `service_healthy`), and no
Docker engine runs here, so this reads the file itself: `${VAR:-default}`/`${VAR:?message}`
interpolation from an env, YAML merge keys, profiles, `depends_on` order and conditions
(`service_started`, `service_healthy` by running the service's healthcheck test,
`service_completed_successfully`), `build` (context, dockerfile, target, args), `image`,
`command`, `environment`, `env_file` (with `required`), `secrets` (files at /run/secrets/NAME),
named volumes, `ports`, `hostname`, `restart`, `stop_grace_period`, `deploy.replicas`, and the
service name as the container's network alias. Anything else in the file is refused, so the
check cannot silently run something other than what the file says.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from podman import Podman, PodmanError

SUPPORTED = {
    "build",
    "command",
    "depends_on",
    "deploy",
    "env_file",
    "environment",
    "healthcheck",
    "hostname",
    "image",
    "ports",
    "profiles",
    "restart",
    "secrets",
    "stop_grace_period",
    "volumes",
}
VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


class ComposeError(ValueError):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable substitution, applied to every string of the file."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("plain")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op in (":-", "-"):
            return arg if unset else str(current)
        if op in (":?", "?"):
            if unset:
                raise ComposeError(f"{name}: {arg or 'required'}")
            return str(current)
        return current or ""

    return VARIABLE.sub(substitute, value)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as compose reads them (comments, blank lines, optional quotes)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def seconds(duration: str | int | float | None, default: float) -> float:
    if duration is None:
        return default
    if isinstance(duration, (int, float)):
        return float(duration)
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration):
        total += float(amount) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


@dataclass
class Service:
    name: str
    spec: dict[str, Any]

    @property
    def image(self) -> str:
        image: str = self.spec["image"]
        return image

    @property
    def replicas(self) -> int:
        return int(self.spec.get("deploy", {}).get("replicas", 1))

    @property
    def depends_on(self) -> dict[str, str]:
        found = self.spec.get("depends_on", {})
        if isinstance(found, list):
            return {name: "service_started" for name in found}
        return {name: item.get("condition", "service_started") for name, item in found.items()}

    def environment(self, project_dir: Path) -> dict[str, str]:
        values: dict[str, str] = {}
        for entry in self.spec.get("env_file", []):
            entry = {"path": entry} if isinstance(entry, str) else entry
            path = project_dir / entry["path"]
            if path.exists():
                values.update(read_env_file(path))
            elif entry.get("required", True):
                raise ComposeError(f"{self.name}: env_file {path} is missing")
        environment = self.spec.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        values.update(
            {key: "" if value is None else str(value) for key, value in environment.items()}
        )
        return values

    def command(self) -> list[str]:
        command = self.spec.get("command", [])
        return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


@dataclass
class Compose:
    """docker-compose.yml read for one project, under `env` and with `profiles` enabled."""

    path: Path
    env: dict[str, str]
    profiles: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.doc: dict[str, Any] = interpolate(yaml.safe_load(self.path.read_text()), self.env)
        self.project: str = self.doc.get("name", self.path.parent.name)
        self.services: dict[str, Service] = {}
        for name, spec in self.doc["services"].items():
            unknown = set(spec) - SUPPORTED
            if unknown:
                raise ComposeError(f"{name}: this driver does not implement {sorted(unknown)}")
            wanted = spec.get("profiles")
            if wanted and not self.profiles & set(wanted):
                continue
            self.services[name] = Service(name, spec)

    @property
    def project_dir(self) -> Path:
        return self.path.parent

    def order(self) -> list[Service]:
        """Services in start order: each after everything it depends on (compose's order)."""
        done: list[str] = []

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if name in done:
                return
            if name in trail:
                raise ComposeError(f"dependency cycle: {' -> '.join((*trail, name))}")
            for dependency in self.services[name].depends_on:
                visit(dependency, (*trail, name))
            done.append(name)

        for name in self.services:
            visit(name, ())
        return [self.services[name] for name in done]

    def secret_file(self, name: str) -> Path:
        file: str = self.doc["secrets"][name]["file"]
        return (self.project_dir / file).resolve()


def image_healthcheck(image: dict[str, Any]) -> dict[str, Any]:
    """The HEALTHCHECK an image keeps (podman's inspect names it `Healthcheck`)."""
    check: dict[str, Any] | None = image.get("Healthcheck") or image["Config"].get("Healthcheck")
    if not check:
        raise ComposeError(f"{image['RepoTags']} has no HEALTHCHECK")
    return check


@dataclass
class Stack:
    """The compose project's containers on one podman network."""

    podman: Podman
    compose: Compose
    subnet: str = "10.231.77.0/24"
    started: dict[str, list[str]] = field(default_factory=dict)  # service -> container names
    log: list[str] = field(default_factory=list)

    @property
    def network(self) -> str:
        return f"{self.compose.project}_default"

    def container(self, service: str, index: int = 1) -> str:
        return f"{self.compose.project}-{service}-{index}"

    def build(self, service: Service) -> None:
        build = service.spec["build"]
        context = (self.compose.project_dir / build.get("context", ".")).resolve()
        args = ["build", "--format", "docker", "--pull=never", "-t", service.image]
        args += ["-f", str(context / build.get("dockerfile", "Dockerfile"))]
        if "target" in build:
            args += ["--target", build["target"]]
        for key, value in build.get("args", {}).items():
            args += ["--build-arg", f"{key}={value}"]
        started = time.monotonic()
        self.podman.stream(*args, str(context))
        self.log.append(f"built {service.image} in {time.monotonic() - started:.0f} s")

    def build_all(self) -> None:
        built: set[str] = set()
        for service in self.compose.order():
            if "build" in service.spec and service.image not in built:
                self.build(service)
                built.add(service.image)

    def up(self, extra: dict[str, list[str]] | None = None, only: set[str] | None = None) -> None:
        """Create the network and start every service (or `only` those) in order, waiting on
        each condition; `extra` adds podman arguments to a service's containers."""
        if not self.podman.exists("network", self.network):
            self.podman.run("network", "create", "--subnet", self.subnet, self.network)
        for service in self.compose.order():
            if only is not None and service.name not in only:
                continue
            self.wait_for_dependencies(service)
            self.start(service, (extra or {}).get(service.name, []))

    def wait_for_dependencies(self, service: Service) -> None:
        for name, condition in service.depends_on.items():
            for container in self.started[name]:
                if condition == "service_healthy":
                    self.wait_healthy(self.compose.services[name], container)
                elif condition == "service_completed_successfully":
                    code = self.podman.run("wait", container, timeout=900).stdout.strip()
                    if code != "0":
                        raise PodmanError(f"{container} exited {code}:\n{self.logs(container)}")

    def run_args(self, service: Service, index: int) -> list[str]:
        spec = service.spec
        name = self.container(service.name, index)
        args = ["run", "--detach", "--name", name, "--network", self.network]
        args += ["--network-alias", service.name, "--no-healthcheck", "--pull=never"]
        args += ["--label", f"com.docker.compose.project={self.compose.project}"]
        args += ["--label", f"com.docker.compose.service={service.name}"]
        if "hostname" in spec:
            args += ["--hostname", spec["hostname"]]
        restart = spec.get("restart", "no")
        args += ["--restart", "no" if restart == "no" else restart]
        if "stop_grace_period" in spec:
            args += ["--stop-timeout", str(int(seconds(spec["stop_grace_period"], 10)))]
        for key, value in service.environment(self.compose.project_dir).items():
            args += ["--env", f"{key}={value}"]
        for secret in spec.get("secrets", []):
            target = secret if isinstance(secret, str) else secret["source"]
            path = self.compose.secret_file(target)
            args += ["--volume", f"{path}:/run/secrets/{target}:ro"]
        for volume in spec.get("volumes", []):
            source, _, target = volume.partition(":")
            if source.startswith((".", "/")):
                source = str((self.compose.project_dir / source).resolve())
            else:
                source = f"{self.compose.project}_{source}"
            args += ["--volume", f"{source}:{target}"]
        for port in spec.get("ports", []) if index == 1 else []:
            args += ["--publish", str(port)]
        return args

    def start(self, service: Service, extra: list[str], index: int | None = None) -> None:
        indexes = [index] if index else list(range(1, service.replicas + 1))
        names = self.started.setdefault(service.name, [])
        for i in indexes:
            name = self.container(service.name, i)
            args = [*self.run_args(service, i), *extra, service.image, *service.command()]
            self.podman.run(*args)
            if name not in names:
                names.append(name)

    def healthcheck(self, service: Service) -> tuple[list[str], float]:
        """The command telling `service` healthy (its own test, or its image's), its timeout."""
        check = service.spec.get("healthcheck")
        if check is None:
            image = self.podman.inspect("image", service.image)
            check = {"test": image_healthcheck(image)["Test"], "timeout": "10s"}
        test = check["test"]
        if isinstance(test, str):
            test = ["CMD-SHELL", test]
        command = test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]
        return command, seconds(check.get("timeout"), 30)

    def wait_healthy(self, service: Service, container: str, within: float = 600) -> None:
        command, timeout = self.healthcheck(service)
        deadline = time.monotonic() + within
        while True:
            state = self.podman.inspect("container", container)["State"]
            if not state["Running"]:
                raise PodmanError(
                    f"{container} stopped ({state['ExitCode']}):\n{self.logs(container)}"
                )
            try:
                probe = self.podman.run(
                    "exec", container, *command, check=False, timeout=timeout + 5
                )
                if probe.returncode == 0:
                    return
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() > deadline:
                raise PodmanError(
                    f"{container} not healthy in {within:.0f} s:\n{self.logs(container)}"
                )
            time.sleep(1)

    def wait_all_healthy(self) -> None:
        for service in self.compose.order():
            if service.spec.get("restart") == "no":
                continue
            for container in self.started.get(service.name, []):
                self.wait_healthy(service, container)

    def logs(self, container: str, tail: int = 60) -> str:
        result = self.podman.run("logs", "--tail", str(tail), container, check=False)
        return result.stdout + result.stderr

    def remove(self, service: str, index: int | None = None) -> None:
        for name in list(self.started.get(service, [])):
            if index is None or name == self.container(service, index):
                self.podman.run(
                    "rm", "--force", "--volumes", "--time", "10", name, check=False, timeout=120
                )
                if index is None:
                    self.started[service].remove(name)

    def down(self) -> None:
        """Every container, volume and the network of the project (images stay, as a cache)."""
        listed = self.podman.run(
            "ps",
            "--all",
            "--format",
            "json",
            "--filter",
            f"label=com.docker.compose.project={self.compose.project}",
            check=False,
        )
        for container in json.loads(listed.stdout or "[]"):
            self.podman.run(
                "rm",
                "--force",
                "--volumes",
                "--time",
                "5",
                container["Id"],
                check=False,
                timeout=120,
            )
        for volume in self.compose.doc.get("volumes", {}) or {}:
            self.podman.run(
                "volume", "rm", "--force", f"{self.compose.project}_{volume}", check=False
            )
        self.podman.run("network", "rm", "--force", self.network, check=False)
        self.started.clear()
