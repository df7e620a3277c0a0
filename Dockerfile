# syntax=docker/dockerfile:1
# The transfer gateway. One image for every role: ROLE=api serves HTTP, ROLE=worker runs the queue
# consumers, ROLE=all both. Configuration is environment variables (see .env.example); nothing secret
# is baked in.

# --- build: compile TypeScript, then drop dev dependencies ----------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm's allowScripts in package.json keeps msgpackr-extract and esbuild install scripts from running.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
COPY queues ./queues
COPY scripts ./scripts
COPY fixtures ./fixtures
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime -------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/fixtures ./fixtures
USER node
EXPOSE 3000
# No curl in the slim image: node's fetch. Every role serves /healthz (workers: health and metrics only).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
