# The fake external API (`python -m chaos.upstream`): a real HTTP server the suite steers at run time
# (slow, 5xx, 429 with Retry-After, hang) through its /__chaos/ control prefix.
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

ENV UPSTREAM_HOST=0.0.0.0 UPSTREAM_PORT=8080
EXPOSE 8080
# sh -c so the port can come from the environment (compose sets it per run); exec keeps Python the
# process that receives the container's signals.
CMD ["sh", "-c", "exec python -m chaos.upstream --host \"$UPSTREAM_HOST\" --port \"$UPSTREAM_PORT\""]
