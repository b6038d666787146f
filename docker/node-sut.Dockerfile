# The Node.js reference service (fixtures/node-sut) as a container: `node src/server.js`, configured
# through the environment (PORT, HOST, DATABASE_URL, REDIS_URL, RATES_API_URL, API_TOKEN, APP_DEFECTS,
# ...) as its target file describes. Build context: the repository root, after
# fixtures/node-sut/setup.sh has installed node_modules from package-lock.json on the host
# (containers here have no route to the npm registry; its packages are plain JavaScript, plus
# msgpackr's N-API prebuild for linux-x64, which any Node version loads).
#
# Node comes from Debian's own packages (bookworm: Node 18.19; the service needs 18.17+ and is
# developed on 20); scripts/docker-engine.sh builds FROM its debootstrapped base with --network host.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -q -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
WORKDIR /app
COPY fixtures/node-sut/package.json fixtures/node-sut/package-lock.json fixtures/node-sut/schema.sql /app/
COPY fixtures/node-sut/node_modules/ /app/node_modules/
COPY fixtures/node-sut/src/ /app/src/
ENV NODE_ENV=production PORT=8000
EXPOSE 8000
# The service handles SIGTERM itself (server.close(), drain, exit 0); compose runs it under
# `init: true` so that a signal to the container reaches it. `node src/worker.js` is the worker.
CMD ["node", "src/server.js"]
