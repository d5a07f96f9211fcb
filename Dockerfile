# syntax=docker/dockerfile:1
# The connector runs its TypeScript sources directly (Node 24 strips the types), so there is no build
# step: the first stage only installs the production dependencies, the second is the runtime.
FROM node:24.9.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/graph-emulator/package.json packages/graph-emulator/
COPY packages/graph-emulator/bin packages/graph-emulator/bin
COPY packages/graph-emulator/src packages/graph-emulator/src
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin bin
COPY src src

FROM node:24.9.0-bookworm-slim
# tini as PID 1 forwards SIGTERM to the connector (which then stops at a page boundary) and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /data \
  && chown node:node /data
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# glibc's malloc settings are the CLI's own (src/cli/heap.ts restarts `serve` with them); set
# MALLOC_ARENA_MAX or MALLOC_MMAP_THRESHOLD_ here only to override them (docs/performance.md#memory).
ENV NODE_ENV=production \
    ENTRA_LISTEN=0.0.0.0:8080 \
    ENTRA_STORE=/data/entra-connector.db
# The store, its key file and the service's token digests live here (a volume in compose and Kubernetes).
VOLUME /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ENTRA_LISTEN || ':8080').split(':').pop() + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/entra-connector.js"]
CMD ["serve"]
