/**
 * Where the device time of a piece of work goes, per tfjs kernel, through tf.profile (on webgpu the
 * kernel times come from timestamp queries where the adapter has them; otherwise they are the
 * backend's own timers).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelRow {
  name: string;
  totalMs: number;
  count: number;
}

export interface KernelProfile {
  /** The heaviest kernels by total time, heaviest first. */
  rows: KernelRow[];
  /** Time in every kernel, including those past the top rows. */
  kernelMs: number;
  kernelCount: number;
  wallMs: number;
  /** tf.memory().numBytes at its highest while the work ran. */
  peakBytes: number;
  /** Kernels whose time the backend could not report (counted, not timed). */
  untimed: number;
  /**
   * Compute shaders dispatched on webgpu (tfjs's kernels and the engine's own WGSL; a reshape or
   * clone dispatches nothing, and the engine's WGSL kernels are not tfjs kernels): what a GPU pays
   * per-dispatch overhead on. Undefined on other backends.
   */
  dispatches?: number;
}

interface Dispatching {
  recordAndSubmit?: (...args: unknown[]) => unknown;
}

/** Runs `work`, counting the compute shaders the webgpu backend dispatches meanwhile (undefined elsewhere). */
export async function countDispatches<T>(work: () => Promise<T> | T): Promise<{ result: T; dispatches?: number }> {
  const backend = tf.backend() as unknown as Dispatching;
  const original = backend.recordAndSubmit;
  if (tf.getBackend() !== 'webgpu' || typeof original !== 'function') return { result: await work() };
  let dispatches = 0;
  backend.recordAndSubmit = function (this: unknown, ...args: unknown[]) {
    dispatches += 1;
    return original.apply(this, args);
  };
  try {
    return { result: await work(), dispatches };
  } finally {
    backend.recordAndSubmit = original;
  }
}

/** tf.profile's kernel time: a number, or `{ error }` where the backend cannot time kernels. */
type KernelTime = number | { error: string };

/** Groups kernel records by name: total time and count per name, the `top` heaviest first. */
export function groupKernels(kernels: { name: string; kernelTimeMs: KernelTime }[], top: number): { rows: KernelRow[]; kernelMs: number; untimed: number } {
  const byName = new Map<string, KernelRow>();
  let kernelMs = 0;
  let untimed = 0;
  for (const k of kernels) {
    const ms = typeof k.kernelTimeMs === 'number' && Number.isFinite(k.kernelTimeMs) ? k.kernelTimeMs : undefined;
    if (ms === undefined) untimed += 1;
    const row = byName.get(k.name) ?? { name: k.name, totalMs: 0, count: 0 };
    row.totalMs += ms ?? 0;
    row.count += 1;
    byName.set(k.name, row);
    kernelMs += ms ?? 0;
  }
  const rows = [...byName.values()].sort((a, b) => b.totalMs - a.totalMs || b.count - a.count || a.name.localeCompare(b.name));
  return { rows: rows.slice(0, top), kernelMs, untimed };
}

/** Runs `work` under tf.profile and groups its kernels (the `top` heaviest rows). */
export async function profileKernels(work: () => Promise<void>, top = 15): Promise<KernelProfile> {
  const t0 = performance.now();
  const { result: info, dispatches } = await countDispatches(() =>
    tf.profile(async () => {
      await work();
      return [];
    }),
  );
  const wallMs = performance.now() - t0;
  const kernels = info.kernels.map((k) => ({ name: k.name, kernelTimeMs: k.kernelTimeMs as KernelTime }));
  return { ...groupKernels(kernels, top), kernelCount: kernels.length, wallMs, peakBytes: info.peakBytes, ...(dispatches !== undefined ? { dispatches } : {}) };
}
