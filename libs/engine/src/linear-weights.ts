/**
 * The frozen weight of a linear layer, where and how it is held: uploaded (float32 transposed, bf16
 * words, NF4 codes, or kept in host memory), read back, measured and freed. On webgpu every tensor
 * is one storage buffer bound whole to a shader, so a weight whose float32 form (itself, or its
 * copy widened from bf16 or dequantized from NF4 where the layer runs) is larger than the adapter's
 * maxStorageBufferBindingSize (a 7B model's MLP projection is 259 MiB; lavapipe binds 128 MiB) is
 * held as parts: consecutive blocks of W's output rows, each a Linear of its own within the limit,
 * multiplied one at a time (ops.ts). NF4 parts are cut from the whole weight's quantization at
 * whole double-quantization groups, so they hold the same bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Frozen } from './ops';
import type { Linear } from './types';
import { HostMatrix, hostWeightBytes, hostWeightShape } from './host-weights';
import { dequantizeNf4Host, disposeNf4, downloadNf4, NF4_GROUP, nf4Bytes, nf4Rows, quantizeNf4, uploadNf4 } from './nf4';
import { bf16Bytes, downloadBf16, isBf16Exact, uploadBf16 } from './bf16-weights';
import { formatBytes } from '@retort/contracts';

export interface LinearStorageOptions {
  /** Quantize to NF4 (QLoRA) before anything is uploaded. */
  nf4?: boolean;
  /** Keep W in host memory (host-weights.ts): no parts, no device tensor. */
  onHost?: boolean;
  /** Hold W as its bf16 words when every value is a bf16 (not with nf4). */
  bf16?: boolean;
  /** The most bytes one part's float32 form may take (webgpu: the storage-binding limit). */
  maxBindingBytes?: number;
}

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/**
 * Output rows per part so that a part's float32 form takes at most `maxBytes`: all rows when the
 * whole fits; with NF4 a multiple of the rows that make whole double-quantization groups.
 */
export function rowsPerPart(name: string, shape: [number, number], maxBytes: number | undefined, nf4: boolean): number {
  const [rows, cols] = shape;
  if (maxBytes === undefined || 4 * rows * cols <= maxBytes) return rows;
  const step = nf4 ? NF4_GROUP / gcd(cols, NF4_GROUP) : 1;
  const per = Math.floor(maxBytes / (4 * cols * step)) * step;
  if (per < 1) {
    throw new Error(
      `${name}: W [${shape.join(', ')}] cannot be held in parts of at most ${formatBytes(maxBytes)} (one storage binding): ` +
        `its smallest part, ${step} rows, takes ${formatBytes(4 * step * cols)} as float32`,
    );
  }
  return per;
}

/** W [out, in] (or rows of it), row-major, on the device or the host, unquantized or quantized here. */
function holdWhole(name: string, w: HostMatrix, opts: LinearStorageOptions): Linear {
  if (opts.onHost) return { name, host: opts.nf4 ? { nf4: quantizeNf4(w.data, w.shape) } : { dense: w } };
  if (opts.nf4) return { name, nf4: uploadNf4(quantizeNf4(w.data, w.shape)) };
  if (opts.bf16 && isBf16Exact(w.data)) return { name, bf16: uploadBf16(w.data, w.shape) };
  return tf.tidy(() => ({ name, wt: tf.transpose(tf.tensor2d(w.data, w.shape)) as tf.Tensor2D }));
}

/** The frozen weight W [out, in] (row-major, host) of a linear layer as the model holds it, with its bias. */
export function holdLinear(name: string, w: HostMatrix, opts: LinearStorageOptions, bias?: tf.Tensor1D): Linear {
  const rows = w.shape[0];
  const per = opts.onHost ? rows : rowsPerPart(name, w.shape, opts.maxBindingBytes, opts.nf4 === true);
  const lin = per === rows ? holdWhole(name, w, opts) : { name, parts: heldParts(name, w, per, opts) };
  return bias ? { ...lin, bias } : lin;
}

/** W as parts of `per` rows: NF4 parts sliced from the whole weight's quantization, the others from W's rows. */
function heldParts(name: string, w: HostMatrix, per: number, opts: LinearStorageOptions): Linear[] {
  const [rows, cols] = w.shape;
  const q = opts.nf4 ? quantizeNf4(w.data, w.shape) : undefined;
  const parts: Linear[] = [];
  for (let r = 0; r < rows; r += per) {
    const n = Math.min(per, rows - r);
    const partName = `${name}[${r}:]`;
    parts.push(q ? { name: partName, nf4: uploadNf4(nf4Rows(q, r, n)) } : holdWhole(partName, { shape: [n, cols], data: w.data.subarray(r * cols, (r + n) * cols) }, opts));
  }
  return parts;
}

/** W's shape [out, in]. */
export function linearShape(lin: Linear): [number, number] {
  if (lin.parts) return [lin.parts.reduce((n, p) => n + linearShape(p)[0], 0), linearShape(lin.parts[0])[1]];
  if (lin.host) return hostWeightShape(lin.host);
  const w = lin.nf4 ?? lin.bf16;
  if (w) return w.shape;
  if (!lin.wt) throw new Error(`${lin.name}: linear layer without weights`);
  return [lin.wt.shape[1], lin.wt.shape[0]];
}

/** Whether W is held as NF4 (every part is). */
export function isNf4Linear(lin: Linear): boolean {
  return lin.parts ? isNf4Linear(lin.parts[0]) : Boolean(lin.nf4 ?? lin.host?.nf4);
}

/** Bytes W takes where it is held (the bias not counted). */
export function linearBytes(lin: Linear): number {
  if (lin.parts) return lin.parts.reduce((n, p) => n + linearBytes(p), 0);
  if (lin.host) return hostWeightBytes(lin.host);
  if (lin.nf4) return nf4Bytes(lin.nf4);
  if (lin.bf16) return bf16Bytes(lin.bf16);
  return 4 * lin.wt!.size;
}

/** The frozen weight of a linear layer, as the products in ops.ts take it. */
export function frozenOf(lin: Linear): Frozen {
  if (lin.parts) return { parts: lin.parts.map(frozenOf), rows: lin.parts.map((p) => linearShape(p)[0]) };
  if (lin.host) return { host: lin.host };
  if (lin.nf4) return { nf4: lin.nf4 };
  if (lin.bf16) return { bf16: lin.bf16 };
  if (!lin.wt) throw new Error(`${lin.name}: linear layer without weights`);
  return { wt: lin.wt };
}

/** W [out, in] of a linear layer on the host (dequantized when NF4), read from the device asynchronously. */
export async function linearWeightHost(lin: Linear): Promise<HostMatrix> {
  if (lin.parts) {
    const shape = linearShape(lin);
    const data = new Float32Array(shape[0] * shape[1]);
    let offset = 0;
    for (const p of lin.parts) {
      const part = await linearWeightHost(p);
      data.set(part.data, offset);
      offset += part.data.length;
    }
    return { shape, data };
  }
  if (lin.host) return { shape: hostWeightShape(lin.host), data: lin.host.dense ? lin.host.dense.data : dequantizeNf4Host(lin.host.nf4!) };
  if (lin.nf4) return { shape: lin.nf4.shape, data: dequantizeNf4Host(await downloadNf4(lin.nf4)) };
  if (lin.bf16) return { shape: lin.bf16.shape, data: await downloadBf16(lin.bf16) };
  const w = tf.transpose(lin.wt!);
  try {
    return { shape: w.shape as [number, number], data: (await w.data()) as Float32Array };
  } finally {
    w.dispose();
  }
}

/** Frees W's device tensors (not the bias, which a merged or requantized layer keeps). */
export function disposeLinearWeight(lin: Linear): void {
  lin.parts?.forEach(disposeLinearWeight);
  lin.wt?.dispose();
  if (lin.nf4) disposeNf4(lin.nf4);
  lin.bf16?.words.dispose();
}
