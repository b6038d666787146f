# The reference service (fixtures/sut) as a container: `python -m sut` from /app/fixtures, configured
# through the environment (PORT, DATABASE_URL, REDIS_URL, EXTERNAL_API_URL, SUT_DEFECTS, ...) as the
# target file describes. Build context: the repository root.
#
# The first block is identical in proxy/upstream/sut.Dockerfile on purpose: the builder reuses its layers.
# PIP_INSTALL_ARGS is empty on a laptop (PyPI); scripts/docker-engine.sh passes
# "--no-index --find-links /wheels" with wheels it downloaded on the host (containers here have no route out).
ARG BASE_IMAGE=python:3.11-slim-bookworm
# The runtime requirements, extracted in a stage of their own: the next stage copies only this list,
# so its dependency layer is rebuilt when the dependencies change, not on any pyproject.toml edit.
FROM ${BASE_IMAGE} AS requirements
COPY pyproject.toml /src/
RUN python3 -c 'import tomllib; d = tomllib.load(open("/src/pyproject.toml", "rb")); print("\n".join(d["project"]["dependencies"]))' >/requirements.txt

FROM ${BASE_IMAGE}
ARG PIP_INSTALL_ARGS=""
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/opt/chaos/bin:$PATH
COPY docker/wheels/ /wheels/
COPY --from=requirements /requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/chaos \
 && /opt/chaos/bin/pip install -q --disable-pip-version-check $PIP_INSTALL_ARGS -r /tmp/requirements.txt
COPY pyproject.toml README.m[d] /src/
COPY chaos/ /src/chaos/
RUN test -f /src/README.md || echo "Chaos Suite" >/src/README.md; \
    /opt/chaos/bin/pip install -q --disable-pip-version-check --no-deps $PIP_INSTALL_ARGS /src \
 && rm -rf /src/build
# End of the shared block.

COPY fixtures/ /app/fixtures/
WORKDIR /app/fixtures
ENV PORT=8000
EXPOSE 8000
# The service handles SIGTERM itself (graceful drain); compose runs it under `init: true` so that a
# signal to the container reaches it and zombies are reaped.
CMD ["python", "-m", "sut"]
