# The qualify GitHub Action image.
#
# Users get it built by the runner (runs.image: Dockerfile) or pulled from GHCR; CI builds it
# offline on a local Debian base (tests/container/docker_env.py) with
#   --build-arg BASE_IMAGE=<local image> --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=http://127.0.0.1:PORT/
# The base may be the official Python image (python3 in /usr/local) or Debian with
# python3 + python3-venv (python3 in /usr): nothing below depends on which.
ARG BASE_IMAGE=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

# ---- build: a virtual environment holding exactly the pinned, hash-checked wheels ----------
FROM ${BASE_IMAGE} AS build
# pip reads these from the environment when they are given; unset by default (then: PyPI).
ARG PIP_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
COPY requirements/runtime.txt /tmp/runtime.txt
# The option lines pip-compile wrote (index URLs of the machine it ran on) are dropped: the
# index comes from the PIP_* build args above.  Wheels only (no compiler needed), every hash
# checked; pip and setuptools leave the venv once it is filled.
RUN python3 -m venv /opt/venv \
 && sed -e '/^--/d' /tmp/runtime.txt > /tmp/requirements.txt \
 && /opt/venv/bin/python -m pip install --no-cache-dir --require-hashes --only-binary=:all: --no-deps \
        -r /tmp/requirements.txt \
 && /opt/venv/bin/python -m pip uninstall --yes pip setuptools \
 && /opt/venv/bin/python -c "import yaml, junitparser, lxml.etree, requests"

# ---- the image: base + venv + the source --------------------------------------------------
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="qualify" \
      org.opencontainers.image.description="Qualify an issue's tracking file against mock and real test results"
COPY --from=build /opt/venv /opt/venv
COPY qualify /app/qualify
# `qualify lint` finds the TRACKING.md schema next to the package (/app/schema).
COPY schema /app/schema
COPY entrypoint.py /app/entrypoint.py
# `qualify` on PATH runs the same entry point (CLI: qualify --version, qualify check ...).
# Byte-compile the app now so a cold `docker run` does not.
RUN printf '#!/bin/sh\nexec /opt/venv/bin/python /app/entrypoint.py "$@"\n' > /usr/local/bin/qualify \
 && chmod 0755 /usr/local/bin/qualify \
 && /opt/venv/bin/python -m compileall -q /app
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# Runs as root (the runner's default user) so it can write the workspace and file commands.
ENTRYPOINT ["/opt/venv/bin/python", "/app/entrypoint.py"]
