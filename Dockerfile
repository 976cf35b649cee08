# The hub's image: one image for every hub process (`hub start`, `hub sink`, ...).
# TypeScript runs through tsx at run time (bin/hub.mjs), so there is no build stage.
# node:20-bookworm (the full image) has python3, make and g++, which node-rdkafka needs to build
# its bundled librdkafka during `npm ci`.
FROM node:20-bookworm

WORKDIR /app
ENV NODE_ENV=production \
    HUB_HOST=0.0.0.0 \
    HUB_PORT=8080 \
    HUB_DATA_DIR=/data

# Dependencies first, so that a source change does not rebuild them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# Whatever a local checkout carried along (a .dockerignore should keep these out in the first place).
RUN rm -rf .services .cache .hub .git && mkdir -p /data && chown node:node /data

USER node
VOLUME ["/data"]
EXPOSE 8080
CMD ["node", "bin/hub.mjs", "start"]
