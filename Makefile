# ReChat: `make run` starts everything, `make test` checks everything. Both set themselves up.
SHELL := /bin/bash
# uv from PATH, or the one pip installs for this Python when there is none.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
export UV_LINK_MODE ?= copy

.PHONY: run test setup lint typecheck pytest web-check system-packages containers-check

setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

run: setup
	$(UV) run rechat dev

system-packages:
	bash tools/scripts/ensure-system-packages.sh

lint: setup
	$(UV) run ruff format --check .
	$(UV) run ruff check .

typecheck: setup
	$(UV) run mypy -p rechat_shared -p rechat_auth -p rechat_gateway -p rechat_worker \
		-p rechat_history -p rechat_dify_emulator -p rechat_cli

# api:check regenerates web/src/api/generated/*.ts from the services' OpenAPI and fails on a diff.
web-check: setup
	cd web && npm ci --no-audit --no-fund && npm run format:check && UV="$(UV)" npm run api:check \
		&& npm run typecheck && npm run lint && npm run test:unit && npm run build

pytest: setup
	$(UV) run pytest

test: system-packages lint typecheck web-check pytest

# Every image of deploy/ built with podman on stand-in base images (Debian packages), the compose
# stack started and checked through nginx, then under deploy/k8s's security settings; torn down
# at the end (docs/DEPLOYMENT.md, "Checking the containers"). Needs root; ~10-20 min.
containers-check: setup
	PYTHONPATH=tools/containers $(UV) run pytest tools/containers/check_stack.py -v -p no:cacheprovider
