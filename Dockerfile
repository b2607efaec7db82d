# One image for every Retort process (api, worker, serve, cli); the command picks the role.
# tfjs-node-gpu workers build with --build-arg BASE=nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04, so
# that @tensorflow/tfjs-node-gpu finds CUDA 11.2 + cuDNN 8.1 (see README); Node 20 is copied in.
# webgpu workers need no CUDA: the `webgpu` target below.
ARG BASE=node:20-bookworm-slim
FROM node:20-bookworm-slim AS node
FROM ${BASE} AS retort
COPY --from=node /usr/local/bin /usr/local/bin
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
WORKDIR /app
ENV NODE_ENV=production NX_DAEMON=false
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/admin/package.json apps/admin/
COPY apps/serve/package.json apps/serve/
COPY apps/cli/package.json apps/cli/
COPY libs/contracts/package.json libs/contracts/
COPY libs/datasets/package.json libs/datasets/
COPY libs/db/package.json libs/db/
COPY libs/engine/package.json libs/engine/
COPY libs/serving/package.json libs/serving/
COPY libs/storage/package.json libs/storage/
COPY libs/teacher/package.json libs/teacher/
COPY libs/tokenizer/package.json libs/tokenizer/
COPY jobs/package.json jobs/
# npm ci's postinstall runs these (the lock fix-up and the native matmul addon's build).
COPY scripts/ scripts/
COPY libs/engine/native/ libs/engine/native/
# OpenBLAS and a compiler for the engine's native matmul addon (built by npm ci's postinstall).
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libopenblas-dev pkg-config python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Dev dependencies stay: the sources run through @swc-node/register and the admin is built here.
RUN npm ci --include=dev --no-audit --no-fund
# GPU/CPU-native workers: --build-arg TFJS_NATIVE=@tensorflow/tfjs-node-gpu (or @tensorflow/tfjs-node)
# runs that package's install script, which downloads libtensorflow (needs network at build time).
ARG TFJS_NATIVE=""
RUN if [ -n "$TFJS_NATIVE" ]; then npm install-scripts approve "$TFJS_NATIVE" && npm rebuild "$TFJS_NATIVE"; fi
COPY . .
RUN npm run build:admin
EXPOSE 3000 3001
ENTRYPOINT ["node", "apps/cli/bin/retort.js"]
CMD ["api"]

# webgpu GPU workers (docker compose --profile webgpu): Dawn, the `webgpu` package that npm ci installs
# as an optional dependency, needs only the Vulkan loader; the GPU's Vulkan driver (ICD) comes from the
# host: the NVIDIA container toolkit mounts it when NVIDIA_DRIVER_CAPABILITIES includes graphics.
FROM retort AS webgpu
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libvulkan1 \
 && rm -rf /var/lib/apt/lists/*

# The admin console alone, on nginx, proxying the API (docker compose's "admin" service).
FROM nginx:1.27-alpine AS admin
COPY --from=retort /app/apps/admin/dist /usr/share/nginx/html
COPY apps/admin/nginx.conf /etc/nginx/conf.d/default.conf
