"""Podman for the container check, in a store of its own.

Everything the check makes (the stand-in base images, the project's images, containers, volumes,
the network) lives under one cache folder, `RECHAT_CONTAINERS_CACHE` (default
`~/.cache/rechat-containers`), with its own containers.conf: the stand-ins, tagged with the
official images' names, are never seen by another podman user of the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# netavark and aardvark-dns are only "recommended" by Debian's podman, which the check installs
# without recommends: without them no container gets a network.
DEBIAN_PACKAGES = (
    "podman",
    "buildah",
    "runc",
    "debootstrap",
    "uidmap",
    "netavark",
    "aardvark-dns",
)


def missing_packages() -> list[str]:
    """The packages of DEBIAN_PACKAGES that dpkg does not have installed."""
    return [name for name in DEBIAN_PACKAGES if not _installed(name)]


def _installed(package: str) -> bool:
    status = subprocess.run(
        ["dpkg-query", "--show", "--showformat=${db:Status-Status}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    return status.stdout.strip() == "installed"


# crun fails on this kind of VM; nofile/nproc ulimits high enough for RabbitMQ and MariaDB.
CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{cache}/events.log"

[network]
network_backend = "netavark"
network_config_dir = "{cache}/networks"
"""


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "rechat-containers"
    return Path(os.environ.get("RECHAT_CONTAINERS_CACHE", default)).resolve()


class PodmanError(RuntimeError):
    pass


@dataclass
class Podman:
    """`podman` with the check's own storage and configuration."""

    cache: Path

    @classmethod
    def ensure(cls) -> Podman:
        """Install podman from Debian when missing, and write the check's configuration."""
        missing = missing_packages()
        if missing:
            if os.geteuid() != 0:
                raise PodmanError(f"missing {missing}: apt-get install -y {' '.join(missing)}")
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                check=True,
                env=env,
            )
        cache = cache_dir()
        (cache / "networks").mkdir(parents=True, exist_ok=True)
        conf = cache / "containers.conf"
        conf.write_text(CONTAINERS_CONF.format(cache=cache))
        return cls(cache)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CONTAINERS_CONF": str(self.cache / "containers.conf")}

    def command(self, *args: str) -> list[str]:
        return [
            "podman",
            "--root",
            str(self.cache / "storage"),
            "--runroot",
            str(self.cache / "run"),
            "--storage-driver",
            "overlay",
            *args,
        ]

    def run(
        self, *args: str, check: bool = True, timeout: float = 600, input_: bytes | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self.command(*args),
            capture_output=True,
            text=input_ is None,
            input=input_,
            env=self.env,
            timeout=timeout,
            check=False,
        )
        if isinstance(result.stdout, bytes):
            result = subprocess.CompletedProcess(
                result.args,
                result.returncode,
                result.stdout.decode(errors="replace"),
                result.stderr.decode(errors="replace"),
            )
        if check and result.returncode != 0:
            raise PodmanError(
                f"podman {' '.join(args[:6])} … exited {result.returncode}:\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def stream(self, *args: str, timeout: float = 3600) -> None:
        """A long command (a build) whose output goes to the terminal as it comes."""
        result = subprocess.run(self.command(*args), env=self.env, timeout=timeout, check=False)
        if result.returncode != 0:
            raise PodmanError(f"podman {' '.join(args[:8])} … exited {result.returncode}")

    def inspect(self, kind: str, name: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = json.loads(self.run(kind, "inspect", name).stdout)
        return found[0]

    def exists(self, kind: str, name: str) -> bool:
        return self.run(kind, "exists", name, check=False).returncode == 0
