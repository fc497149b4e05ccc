# Marquee in a container: `docker compose up -d` (compose.yaml) runs it with PostgreSQL 15.
# The install is the one `make run` does (`pip install .`), into a venv copied into a slim
# image that runs as an unprivileged user. tests/test_container.py replays these steps.

# Bookworm, not the newest Debian: its postgresql-client is 15, the same as compose.yaml's
# server, so `marquee backup`/`restore` (pg_dump, pg_restore) match it.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/marquee
WORKDIR /src
COPY pyproject.toml README.md ./
COPY adapters adapters
COPY bot bot
COPY storage storage
RUN /opt/marquee/bin/pip install .

FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install --yes --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group marquee \
    && mkdir /data /backups \
    && chown marquee:marquee /data /backups
COPY --from=build /opt/marquee /opt/marquee
ENV PATH=/opt/marquee/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MARQUEE_DATA_DIR=/data
USER marquee
WORKDIR /home/marquee
# Without DATABASE_URL the SQLite file is /data/marquee.db: mount a volume there
# (`docker run -v marquee-data:/data …`). compose.yaml uses PostgreSQL instead.
# `marquee run` migrates the database to the newest schema before it serves: an upgrade is a
# new image and a restart.
CMD ["marquee", "run"]
