/**
 * The WebGPU backend on Dawn's Node binding (the `webgpu` package: Vulkan on Linux, no CUDA). Both
 * packages are optional dependencies, loaded here only. tfjs-backend-webgpu registers itself only
 * where `navigator.gpu` exists, which Node lacks, so the engine asks Dawn for the adapter itself
 * (to name it and read its limits) and registers the backend on a device made from it.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface WebGpuAdapter {
  vendor: string;
  architecture: string;
  description: string;
  /** A CPU implementation (lavapipe/llvmpipe, SwiftShader): correct, but slower than wasm. */
  software: boolean;
  shaderF16: boolean;
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software/i;

// The few WebGPU API shapes used here, so that the engine typechecks without the optional packages.
interface GpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  [limit: string]: number;
}
interface GpuAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  features: Set<string>;
  limits: GpuLimits;
  requestDevice(desc: { requiredFeatures: string[]; requiredLimits: Record<string, number> }): Promise<unknown>;
}
interface Dawn {
  create(flags: string[]): { requestAdapter(opts: { powerPreference: string }): Promise<GpuAdapter | null> };
  globals: Record<string, unknown>;
}
type WebGpuBackendClass = new (device: unknown, adapterInfo: unknown) => tf.KernelBackend;

/**
 * Dawn's entry points (the package is ESM; its native addon is loaded directly, which works under
 * jest too). RETORT_DAWN_NODE names another copy of the addon (the GPU bench bundle carries one).
 */
function dawn(): Dawn {
  if (process.env.RETORT_DAWN_NODE) return require(process.env.RETORT_DAWN_NODE);
  const pkg = require.resolve('webgpu/package.json');
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return require(require('node:path').join(pkg, '..', 'dist', `${process.platform}-${arch}`, 'dawn.node'));
}

export function describeAdapter(a: GpuAdapter): WebGpuAdapter {
  const info = a.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return {
    vendor: info.vendor || 'unknown vendor',
    architecture: info.architecture || 'unknown architecture',
    description: info.description || info.device || 'no description',
    software: info.isFallbackAdapter === true || SOFTWARE.test(text),
    shaderF16: a.features.has('shader-f16'),
    limits: { maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize },
  };
}

function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

export function adapterLine(a: WebGpuAdapter): string {
  const kind = a.software && a.architecture !== 'software' ? ', software' : '';
  return (
    `adapter ${a.vendor} ${a.architecture} "${a.description}"${kind}, ` +
    `maxBufferSize ${mib(a.limits.maxBufferSize)}, maxStorageBufferBindingSize ${mib(a.limits.maxStorageBufferBindingSize)}`
  );
}

/** Dawn's adapter (high-performance preference), or why there is none. */
async function requestAdapter(): Promise<{ gpu: unknown; adapter: GpuAdapter }> {
  const { create, globals } = dawn();
  // The tfjs backend uses the WebGPU constants (GPUBufferUsage, GPUMapMode, ...) as globals.
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const gpu = create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no WebGPU adapter (no Vulkan driver: install the GPU vendor ICD, or Mesa >= 24 lavapipe for a software one)');
  return { gpu, adapter };
}

/** The adapter the webgpu backend would run on, or why there is none (the packages, the driver). */
export async function probeWebGpu(): Promise<{ adapter?: WebGpuAdapter; why?: string }> {
  try {
    return { adapter: describeAdapter((await requestAdapter()).adapter) };
  } catch (err) {
    return { why: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

let registered: WebGpuAdapter | undefined;

/**
 * Finds Dawn's adapter and registers the tfjs `webgpu` backend on it. With `allowSoftware` false
 * (automatic selection) a software adapter is refused: wasm with OpenBLAS is faster on a CPU.
 */
export async function registerWebGpu(allowSoftware: boolean): Promise<WebGpuAdapter> {
  if (registered) return registered;
  const { gpu, adapter } = await requestAdapter();
  const described = describeAdapter(adapter);
  if (described.software && !allowSoftware) throw new Error(`only a software adapter, ${described.description} (RETORT_BACKEND=webgpu takes it)`);
  const { WebGPUBackend } = require('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: WebGpuBackendClass };
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: ['timestamp-query', 'shader-f16'].filter((f) => adapter.features.has(f)),
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  // Required before navigator.gpu exists, the package registers no backend of its own (one, at a
  // priority above wasm, would be tried by any tfjs code that never sets a backend).
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as { gpu?: unknown };
  if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 0);
  registered = described;
  return described;
}
