# syntax=docker/dockerfile:1
# One image for every vigil service; the command picks the app (see docker-compose.yml and k8s/):
#   node dist/apps/vigil/src/main.js       all in one (the default)
#   node dist/apps/<ingest|inference|publish|alarms|egress|stitch>/src/main.js
#
#   docker build -t vigil .
#   docker build --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 -t vigil:cuda .
# The second adds ONNX Runtime's CUDA provider (its install script downloads it). NVDEC decoding and NVENC encoding
# need no build option: Debian's GStreamer and ffmpeg carry them, and they work where the NVIDIA container runtime
# mounts the driver with the `video` capability (NVIDIA_DRIVER_CAPABILITIES below).
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# OpenCV 4.6 with its GStreamer backend, GStreamer's RTSP source and decoders (plugins-bad has nvh264dec/nvh265dec),
# ffmpeg for alarm clips and egress; tini reaps the capture and ffmpeg child processes and passes SIGTERM on
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libopencv-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly \
      gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-tools ffmpeg ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

FROM runtime AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ARG ONNXRUNTIME_NODE_INSTALL=skip
# the OpenCV add-on builds against the system OpenCV (its own download of OpenCV is not wanted)
ENV OPENCV4NODEJS_DISABLE_AUTOBUILD=1 ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL} JOBS=max
COPY package.json package-lock.json ./
# npm 11 may refuse a lock file that lacks other platforms' optional prebuilds (see scripts/setup.mjs)
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY scripts scripts
COPY bench bench
COPY test test
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM runtime
WORKDIR /app
# The root file system may be read-only (k8s/, docker-compose.yml): what the apps write at run time goes to /tmp (a
# tmpfs or emptyDir there), GStreamer's plugin cache and CUDA's kernel cache included, or to ALARMS_DIR (a volume).
ENV NODE_ENV=production NO_COLOR=1 HOST=0.0.0.0 ALARMS_DIR=/data/alarms \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,video \
    XDG_CACHE_HOME=/tmp/.cache CUDA_CACHE_PATH=/tmp/.cache/nv
# package.json and nest-cli.json mark the project root, where publish finds the web page (apps/publish/web)
COPY --from=build /app/package.json /app/nest-cli.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY apps/publish/web apps/publish/web
RUN test "$(id -u node):$(id -g node)" = 1000:1000 && mkdir -p /data/alarms && chown node:node /data/alarms
# the image's `node` user, by number: Kubernetes checks runAsNonRoot against it (k8s/ runs as 1000:1000)
USER 1000:1000
EXPOSE 8080 8081 8082 8083 8084 8085
ENTRYPOINT ["tini", "--", "node"]
CMD ["dist/apps/vigil/src/main.js"]
