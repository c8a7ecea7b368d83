# syntax=docker/dockerfile:1.7
# One Dockerfile for every Crowdify process. PACKAGES names the workspace members the image holds
# (uv.lock decides their versions); the command decides what runs: a service's API (the default),
# its worker, its migrations, or a developer tool. See docs/adr/0011-production-shape.md.
#
#   docker build --build-arg PACKAGES=crowdify-event-svc --build-arg APP=event_svc.main:create_app \
#     --build-arg PORT=8101 -t crowdify/event-svc .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# The uv release that writes this repository's uv.lock.
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# ---------------------------------------------------------------- build: a virtualenv in /app/.venv
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
# Bytecode compiled at build time (start-up is faster and the runtime user cannot write it);
# copy, not hardlink, out of the cache mount; never download a Python: the base image has it.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
ARG PACKAGES=crowdify-event-svc

# Layer 1, the dependencies: only the lock file and the members' pyproject.toml files, so this layer
# (the slow one) is rebuilt when a dependency changes, not when a source file does.
COPY pyproject.toml uv.lock ./
COPY libs/pyproject.toml libs/pyproject.toml
COPY gateway/pyproject.toml gateway/pyproject.toml
COPY event-svc/pyproject.toml event-svc/pyproject.toml
COPY purchase-svc/pyproject.toml purchase-svc/pyproject.toml
COPY validation-svc/pyproject.toml validation-svc/pyproject.toml
COPY pdf-svc/pyproject.toml pdf-svc/pyproject.toml
COPY notification-svc/pyproject.toml notification-svc/pyproject.toml
COPY admin-svc/pyproject.toml admin-svc/pyproject.toml
COPY tools/pyproject.toml tools/pyproject.toml
COPY tests-e2e/pyproject.toml tests-e2e/pyproject.toml
COPY bench/pyproject.toml bench/pyproject.toml
# PACKAGES is a space-separated list on purpose: each word becomes one --package.
# hadolint ignore=SC2086
RUN --mount=type=cache,target=/root/.cache/uv \
    set -- ; for package in $PACKAGES; do set -- "$@" --package "$package"; done; \
    uv sync --frozen --no-dev --no-install-workspace "$@"

# Layer 2, the sources (filtered by .dockerignore), installed into the same environment. The
# members stay editable: alembic.ini and migrations/ are read from the source tree.
COPY . .
# hadolint ignore=SC2086
RUN --mount=type=cache,target=/root/.cache/uv \
    set -- ; for package in $PACKAGES; do set -- "$@" --package "$package"; done; \
    uv sync --frozen --no-dev "$@"

# ---------------------------------------------------------------- runtime: no uv, no compilers
FROM ${PYTHON_IMAGE} AS runtime
ARG APP=event_svc.main:create_app
ARG PORT=8101
RUN groupadd --system --gid 10001 crowdify \
    && useradd --system --uid 10001 --gid crowdify --no-create-home --home-dir /app crowdify
WORKDIR /app
COPY --from=build --chown=root:root /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CROWDIFY_APP=${APP} \
    PORT=${PORT} \
    HEALTHCHECK_URL=http://127.0.0.1:${PORT}/health
# Files belong to root and the process runs as an unprivileged user: a compromised process cannot
# rewrite its own code.
USER 10001:10001
EXPOSE ${PORT}
# Liveness of whatever runs: an API's /health, or a worker's /metrics (compose and Kubernetes set
# HEALTHCHECK_URL for workers). Python's urllib, so the image needs no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['HEALTHCHECK_URL'], timeout=4)"]
# The service's API. uvicorn's keep-alive (75 s) outlasts the edge's upstream keep-alive (60 s).
CMD ["sh", "-c", "exec uvicorn \"$CROWDIFY_APP\" --factory --host 0.0.0.0 --port \"$PORT\" --timeout-keep-alive 75 --no-access-log"]
