#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (Chromium for browser tests, nginx for the
# proxy test) when they are missing, and starts the local MariaDB, Redis and RabbitMQ if down.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing system packages: ${need[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_up() { for _ in $(seq 1 60); do up "$1" && return 0; sleep 1; done; echo "port $1 did not open" >&2; return 1; }

if ! up 3306; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_up 3306
fi
if ! up 6379; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_up 6379
fi
if ! up 5672; then
  rabbitmq-server -detached
  wait_up 5672
fi
