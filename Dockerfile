# The platform's image: one image for every node role (SERVICES picks the role), Node 24 from the
# npm package the project pins (node_modules/.bin/node), the web app built in. docs/operations.md.
# Build: docker build -t gd-procurement-cloud .    Run: see deploy/compose.yaml
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# npm runs on Debian's Node; the platform then runs on the pinned Node 24 that `npm ci` installs
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web && npm prune --omit=dev --no-audit --no-fund \
  # tsx and the pinned node stay: `npm start` runs TypeScript on Node 24
  && npm install --no-save --no-audit --no-fund "node@$(node -p 'require("./package.json").devDependencies.node')"

FROM debian:12-slim
# pg_dump/pg_restore for `npm run backup` against an external PostgreSQL of the same major
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client ca-certificates tini && rm -rf /var/lib/apt/lists/* \
  && useradd --system --uid 10001 --home /app platform
WORKDIR /app
COPY --from=build --chown=platform:platform /app /app
USER platform
ENV NODE_ENV=production LOG_FORMAT=json PORT=3000 METRICS_PORT=9464 PATH=/app/node_modules/.bin:$PATH
EXPOSE 3000 9464
# tini passes SIGTERM on: the node drains (SHUTDOWN_TIMEOUT_MS) and exits
ENTRYPOINT ["/usr/bin/tini", "--"]
# --max-semi-space-size as in package.json's start script (README "Benchmarks": RSS under load)
CMD ["node", "--max-semi-space-size=16", "--import", "tsx", "core/main.ts"]
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:9464/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
