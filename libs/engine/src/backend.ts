import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { registerGradients } from './gradients';
import { installNativeMatMul, loadNativeBlas } from './native-blas';
import { setWasmLayout } from './ops';
import { adapterLine, registerWebGpu, WebGpuAdapter } from './webgpu';

/** The tfjs backends the engine can run on, best first. */
export const BACKENDS = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  name: BackendName;
  /** The tfjs-core backend name (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfjsName: string;
  detail: string;
  /** On webgpu: the adapter, its kind and limits. */
  adapter?: WebGpuAdapter;
  /** wasm with the native addon: frozen weights stay in host memory, outside the 4 GiB heap (host-weights.ts). */
  weightsOnHost?: boolean;
}

let active: BackendInfo | undefined;

/**
 * Makes the Identity kernel share its input's buffer (a reference count, as the cpu backend and the
 * wasm Reshape kernel do) instead of copying it. tfjs clones every tensor it saves for the backward
 * pass through Identity, so with the copying wasm kernel each saved activation was held twice (and
 * once more for every further op that saved it). tfjs tensors are immutable, so sharing is safe.
 */
function shareIdentity(backendName: string): void {
  const kernel = tf.getKernel('Identity', backendName);
  if (!kernel || (kernel.kernelFunc as { retortShared?: boolean }).retortShared) return;
  const kernelFunc: tf.KernelFunc = ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return kernel.kernelFunc({ inputs, backend, attrs: {} });
    (backend as unknown as { incRef(id: tf.DataId): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  (kernelFunc as { retortShared?: boolean }).retortShared = true;
  tf.unregisterKernel('Identity', backendName);
  tf.registerKernel({ kernelName: 'Identity', backendName, kernelFunc });
}

/** Loads a backend package and returns the tfjs backend name it registers, or throws. */
async function load(name: BackendName, explicit: boolean): Promise<{ tfjsName: string; detail: string; slowMatMulFlags?: boolean; adapter?: WebGpuAdapter; weightsOnHost?: boolean }> {
  switch (name) {
    case 'node-gpu':
    case 'node': {
      // Optional dependencies: their install downloads libtensorflow, which may be impossible.
      require(name === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
      return { tfjsName: 'tensorflow', detail: 'libtensorflow' };
    }
    case 'webgpu': {
      // Chosen automatically only on a hardware adapter; RETORT_BACKEND=webgpu takes a software one too.
      const adapter = await registerWebGpu(explicit);
      return { tfjsName: 'webgpu', detail: `Dawn, ${adapterLine(adapter)}`, adapter };
    }
    case 'wasm': {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      // In Node the .wasm binaries are read from the package's dist folder (a file path, trailing slash).
      const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(dist + path.sep);
      shareIdentity('wasm');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      // tfjs disables multi-threaded wasm under Node (tfjs issue 3830): one thread.
      const { blas, why } = loadNativeBlas();
      if (blas) installNativeMatMul(blas, Number(process.env.RETORT_BLAS_THREADS) || undefined);
      const matmul = blas ? `matmul: OpenBLAS ${blas.core()}, ${blas.threads()} thread(s)` : `matmul: XNNPACK (native BLAS ${why})`;
      const onHost = blas && process.env.RETORT_HOST_WEIGHTS !== '0';
      const detail = `${simd ? 'simd' : 'no simd'}, 1 thread, ${matmul}${onHost ? ', frozen weights in host memory' : ''}`;
      return { tfjsName: 'wasm', detail, slowMatMulFlags: !blas, weightsOnHost: !!onHost };
    }
    case 'cpu':
      require('@tensorflow/tfjs-backend-cpu');
      return { tfjsName: 'cpu', detail: 'plain JavaScript' };
  }
}

/**
 * Selects the tfjs backend: `RETORT_BACKEND` (node-gpu | webgpu | node | wasm | cpu) when set,
 * otherwise the best one that loads. Logs one line saying which backend and device run, and why the
 * better ones did not. Idempotent.
 */
export async function initBackend(
  requested: string | undefined = process.env.RETORT_BACKEND,
  log: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<BackendInfo> {
  if (active) return active;
  registerGradients();
  const wanted = requested?.trim() || undefined;
  if (wanted && !(BACKENDS as readonly string[]).includes(wanted)) {
    throw new Error(`RETORT_BACKEND=${wanted} is not one of ${BACKENDS.join(', ')}`);
  }
  const candidates: BackendName[] = wanted ? [wanted as BackendName] : [...BACKENDS];
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      active = await activate(name, wanted !== undefined);
      const skipped = failures.length ? ` (unavailable: ${failures.join('; ')})` : '';
      log(`[retort] engine backend: ${name} (${active.detail}, tfjs ${tf.version_core})${skipped}`);
      return active;
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      failures.push(`${name}: ${msg}`);
      if (wanted) throw new Error(`RETORT_BACKEND=${wanted} cannot be loaded: ${msg}`);
    }
  }
  throw new Error(`no tfjs backend could be loaded: ${failures.join('; ')}`);
}

async function activate(name: BackendName, explicit: boolean): Promise<BackendInfo> {
  const { tfjsName, detail, slowMatMulFlags, adapter, weightsOnHost } = await load(name, explicit);
  if (!(await tf.setBackend(tfjsName))) throw new Error(`tf.setBackend('${tfjsName}') failed`);
  await tf.ready();
  setWasmLayout(slowMatMulFlags ?? false);
  return { name, tfjsName, detail, adapter, ...(weightsOnHost ? { weightsOnHost } : {}) };
}

/**
 * Makes `name` the active backend even when another one already is (tests that run on several
 * backends, benches). Tensors made on the previous backend stay there; tfjs moves them on use.
 */
export async function switchBackend(name: BackendName): Promise<BackendInfo> {
  registerGradients();
  active = await activate(name, true);
  return active;
}

/** Whether models loaded now keep their frozen weights in host memory (wasm with the native addon; RETORT_HOST_WEIGHTS=0 turns it off). */
export function weightsOnHost(): boolean {
  return active?.weightsOnHost === true && tf.getBackend() === 'wasm';
}

/** The backend chosen by initBackend, if any. */
export function activeBackend(): BackendInfo | undefined {
  return active;
}

/** Bytes the active backend holds for tensors now (on webgpu: in GPU buffers). */
export function deviceMemoryBytes(): number {
  const memory = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  return memory.numBytesInGPU ?? memory.numBytes;
}
