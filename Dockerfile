# syntax=docker/dockerfile:1
# collectief: the GraphQL backend of the employer portal (SPEC H5: multi-stage, non-root, health check).
#
#   docker build -t collectief .
#
#   Embedded SQLite in the data volume (created and migrated on first start):
#     docker run -p 8080:8080 -v collectief-data:/var/lib/collectief collectief
#
#   PostgreSQL: migrate once per release, then serve (any number of containers):
#     docker run --rm -e COLLECTIEF_DATABASE_URL=postgresql+asyncpg://user:pw@db/collectief collectief migrate
#     docker run -p 8080:8080 -e COLLECTIEF_DATABASE_URL=postgresql+asyncpg://user:pw@db/collectief collectief
#
# Every COLLECTIEF_* variable is documented in docs/configuration.md.

ARG PYTHON_VERSION=3.11

# --- builder: build the wheel and install it with its dependencies into /opt/venv -----------------
FROM python:${PYTHON_VERSION}-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/venv

# Only what the wheel is built from (pyproject.toml names README.md as the project's readme).
COPY pyproject.toml README.md ./
COPY storage ./storage
COPY exporters ./exporters
COPY resolvers ./resolvers
COPY schema ./schema
COPY server ./server

RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install /wheels/*.whl

# --- runtime: the venv only, run by an unprivileged user -----------------------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COLLECTIEF_ENVIRONMENT=production \
    COLLECTIEF_HOST=0.0.0.0 \
    COLLECTIEF_PORT=8080 \
    COLLECTIEF_DATA_DIR=/var/lib/collectief

# A fixed numeric id, so that orchestrators can verify runAsNonRoot and volumes can be pre-owned.
RUN groupadd --system --gid 10001 collectief \
 && useradd --system --uid 10001 --gid collectief --home-dir /var/lib/collectief \
        --no-create-home --shell /usr/sbin/nologin collectief \
 && mkdir -p /var/lib/collectief \
 && chown collectief:collectief /var/lib/collectief

# The venv's python links to /usr/local/bin/python3, the same path in both stages (same base image).
COPY --from=builder /opt/venv /opt/venv

WORKDIR /var/lib/collectief
# The data directory (the embedded SQLite database when COLLECTIEF_DATABASE_URL is not set). It is
# declared after the chown so that a new named volume starts out owned by the app user.
VOLUME ["/var/lib/collectief"]

USER 10001:10001

EXPOSE 8080

# No curl in slim images: python's urllib. /healthz answers 503 when the database is down, which
# urlopen raises as an error, so the check fails (exit 1) then too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('COLLECTIEF_PORT') or '8080'; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["collectief"]
CMD ["serve"]
