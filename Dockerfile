# The PipeWeave orchestrator as a container image.
#
#   docker build -t pipeweave-orchestrator .
#   docker run -p 3000:3000 -v pipeweave-data:/data \
#     -e DATABASE_URL=postgres://… -e PIPEWEAVE_SECRET_KEY=… -e PIPEWEAVE_API_TOKEN=… pipeweave-orchestrator
#
# The build stage compiles the workspace and packs @pipeweave/orchestrator; the runtime stage
# installs that tarball's production dependencies into an empty directory (the bundled
# orchestrator, its migrations and embedded-database template, and PGlite: nothing else).
# packages/orchestrator/test/e2e/ContainerSteps.test.ts runs this file's npm commands and CMD
# outside Docker, so keep each of them on one RUN line.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund
RUN npm run build
RUN mkdir -p /pack && npm pack --workspace @pipeweave/orchestrator --pack-destination /pack

FROM node:20-bookworm-slim AS runtime
# NODE_ENV=production makes the orchestrator refuse to start without PIPEWEAVE_SECRET_KEY and
# PIPEWEAVE_API_TOKEN; with a token it listens on every interface (HOST unset), as a container must.
ENV NODE_ENV=production PORT=3000 PIPEWEAVE_DATA_DIR=/data
WORKDIR /app
COPY --from=build /pack /pack
RUN npm install --omit=dev --prefer-offline --no-audit --no-fund /pack/*.tgz && rm -rf /pack /root/.npm
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself; the orchestrator stops its loops, closes the
# database and exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "node_modules/@pipeweave/orchestrator/dist/orchestrator.mjs"]
