# Redis for machines without a registry: a stand-in for the official `redis:7` image, built FROM the
# debootstrapped base (scripts/docker-engine.sh images). Like the official image, `redis-server` runs in
# the foreground as the main process without protected mode; redis-cli is on PATH for the health check.
ARG BASE_IMAGE=chaos-suite/base:bookworm
FROM ${BASE_IMAGE}
RUN mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
EXPOSE 6379
CMD ["redis-server", "--protected-mode", "no"]
