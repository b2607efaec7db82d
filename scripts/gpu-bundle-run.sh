#!/usr/bin/env bash
# run.sh of the GPU bench bundle (`npm run bundle:gpu`), for a GPU host without Node or a network:
#   bash run.sh [ARGS]          the engine's webgpu bench: `node bench.js gpu ARGS` (--profile, --json)
#   bash run.sh peft [ARGS]     the PyTorch + PEFT reference at the same shapes (reference_peft.py)
#   bash run.sh --dry-run ...   prints the environment and the command instead of running them
# Node and Dawn's addon travel xz-compressed and are unpacked into a fresh folder under $TMPDIR (/tmp).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

dry=0
if [ "${1:-}" = --dry-run ]; then dry=1; shift; fi

if [ "${1:-}" = peft ]; then
  shift
  cmd=("${PYTHON:-python3}" "$here/reference_peft.py" --shapes "$here/shapes.json" "$@")
  echo "run.sh: ${cmd[*]}" >&2
  [ "$dry" = 1 ] || exec "${cmd[@]}"
  exit 0
fi

# xz, or Python's lzma where the host has no xz.
unxz_to() {
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else "${PYTHON:-python3}" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}

# The bundle's Vulkan loader (and glvnd's dispatch library, which the NVIDIA ICD links).
export LD_LIBRARY_PATH="$here${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# In NVIDIA containers the driver's ICD lies outside the loader's search path.
nvidia_icd="${RETORT_NVIDIA_ICD:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}"
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then
  export VK_DRIVER_FILES="$nvidia_icd"
fi
export RETORT_BACKEND=webgpu

tmp='$TMP'
if [ "$dry" = 0 ]; then
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/retort-gpu-bundle.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  unxz_to "$here/dawn.node.xz" "$tmp/dawn.node"
fi
export RETORT_DAWN_NODE="$tmp/dawn.node"
if [ -f "$here/node.xz" ]; then
  node="$tmp/node"
  if [ "$dry" = 0 ]; then unxz_to "$here/node.xz" "$node" && chmod +x "$node"; fi
else
  # A bundle made with --no-node: the host's own node.
  node="$(command -v node || true)"
  [ -n "$node" ] || { echo "run.sh: this bundle has no node.xz and there is no node on PATH" >&2; exit 1; }
fi
cmd=("$node" "$here/bench.js" gpu "$@")

echo "run.sh: LD_LIBRARY_PATH=$LD_LIBRARY_PATH VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-} RETORT_BACKEND=$RETORT_BACKEND RETORT_DAWN_NODE=$RETORT_DAWN_NODE" >&2
echo "run.sh: ${cmd[*]}" >&2
[ "$dry" = 1 ] || "${cmd[@]}"
