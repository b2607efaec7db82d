/**
 * NF4 with double quantization, as QLoRA stores its frozen base (bitsandbytes `quantize_4bit` with
 * `quant_type='nf4'`, `compress_statistics=True`):
 *
 *   - the weight W [out, in] (PyTorch layout) is cut into blocks of 64 consecutive elements; each
 *     block keeps its absmax and, per element, the index of the nearest of the 16 NF4 values to
 *     x / absmax (the first on ties, as torch.argmin);
 *   - the block absmax are quantized again: offset = mean(absmax), then absmax - offset in blocks
 *     of 256 to 8-bit codes over bitsandbytes' dynamic map, with one float32 absmax per block;
 *   - W = NF4[code] * (dynamic[qabsmax] * absmax2 + offset).
 *
 * Quantization runs on the host (plain loops over the float32 weights), so the float copy of a
 * layer never reaches the device. tfjs has no 8-bit tensors: 8 codes are packed into each int32
 * word in bitsandbytes' byte order (byte k = code[2k] << 4 | code[2k+1], little-endian bytes, so a
 * bitsandbytes uint8 buffer viewed as int32 is the same word), the 8-bit absmax codes 4 to a word.
 * Dequantization unpacks with arithmetic kernels only (mod, sub, floorDiv) in a way that stays
 * exact on backends that compute int32 division in float32 (wasm): see `unpack`; on webgpu, whose
 * int32 arithmetic is float32 throughout, with WGSL bit operations (nf4-webgpu.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { NF4_BLOCKSIZE, NF4_NESTED_BLOCKSIZE } from '@retort/contracts';
import { installedNativeBlas } from './native-blas';
import { dequantizeNf4WebGpu } from './nf4-webgpu';

export { NF4_BLOCKSIZE, NF4_NESTED_BLOCKSIZE };

/** bitsandbytes `get_4bit_type('nf4')`. */
export const NF4_VALUES = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/** The code of 0.0 in NF4 (all-zero blocks and padding). */
const NF4_ZERO = 7;

let dynamicMapCache: Float32Array | undefined;

/**
 * bitsandbytes `create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)`: 256 sorted
 * float32 values. Each value is computed in float64 and rounded once: bitsandbytes builds the map
 * with float32 torch.linspace, whose last bit depends on the torch build (vectorized kernel, FMA),
 * so its values can differ from these by one ulp (scripts/make_nf4_fixtures.py checks the bound).
 */
export function dynamicMap(): Float32Array {
  if (dynamicMapCache) return dynamicMapCache;
  const data: number[] = [0, 1];
  const maxExp = 7;
  for (let i = 0; i < maxExp; i++) {
    const n = 2 ** i + 1;
    const scale = 10 ** (-(maxExp - 1) + i);
    for (let j = 0; j + 1 < n; j++) {
      const mean = (0.1 + j * (0.9 / (n - 1)) + (0.1 + (j + 1) * (0.9 / (n - 1)))) / 2;
      data.push(Math.fround(scale * mean), Math.fround(-scale * mean));
    }
  }
  dynamicMapCache = Float32Array.from(data.sort((a, b) => a - b));
  return dynamicMapCache;
}

/** A quantized weight on the host. */
export interface Nf4Host {
  /** [out, in], the PyTorch layout the blocks run along. */
  shape: [number, number];
  /** ceil(n / 8) words, 8 NF4 codes each. */
  codes: Int32Array;
  /** ceil(blocks / 4) words, 4 8-bit absmax codes each. */
  qabsmax: Int32Array;
  /** One float32 per 256 blocks. */
  absmax2: Float32Array;
  offset: number;
}

/** A quantized frozen weight held by the model (device tensors). */
export interface Nf4Weight {
  shape: [number, number];
  codes: tf.Tensor1D; // int32 [ceil(n/8)]
  qabsmax: tf.Tensor1D; // int32 [ceil(blocks/4)]
  absmax2: tf.Tensor1D; // float32 [ceil(blocks/256)]
  offset: number;
}

/**
 * argmin_j |v - table[j]| in float32 arithmetic, the first j on ties (torch.argmin), for a sorted
 * table: the distance grows away from v on either side, so only the two entries around v compete.
 */
function nearest(v: number, table: Float32Array): number {
  let lo = 0;
  let hi = table.length; // first entry > v
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (table[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return 0;
  if (lo === table.length) return lo - 1;
  const below = Math.abs(Math.fround(v - table[lo - 1]));
  const above = Math.abs(Math.fround(v - table[lo]));
  return above < below ? lo : lo - 1;
}

/** Blockwise absmax quantization of x over `table` (bitsandbytes' default kernels): codes and absmax per block. */
function quantizeBlockwise(x: Float32Array, table: Float32Array, blocksize: number, zeroCode: number): { codes: Uint8Array; absmax: Float32Array } {
  const n = x.length;
  const nb = Math.ceil(n / blocksize);
  const codes = new Uint8Array(n);
  const absmax = new Float32Array(nb);
  for (let b = 0; b < nb; b++) {
    const end = Math.min(n, (b + 1) * blocksize);
    let m = 0;
    for (let i = b * blocksize; i < end; i++) m = Math.max(m, Math.abs(x[i]));
    absmax[b] = m;
    if (m === 0) {
      codes.fill(zeroCode, b * blocksize, end); // bitsandbytes would divide by zero here
      continue;
    }
    const inv = Math.fround(1 / m);
    for (let i = b * blocksize; i < end; i++) {
      const scaled = Math.min(1, Math.max(-1, Math.fround(x[i] * inv)));
      codes[i] = nearest(scaled, table);
    }
  }
  return { codes, absmax };
}

/** Packs 4-bit codes 8 to an int32 word in bitsandbytes' byte order (byte k = c[2k] << 4 | c[2k+1]). */
export function packNibbles(codes: Uint8Array): Int32Array {
  const words = new Int32Array(Math.ceil(codes.length / 8));
  for (let w = 0; w < words.length; w++) {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const hi = codes[8 * w + 2 * k] ?? NF4_ZERO;
      const lo = codes[8 * w + 2 * k + 1] ?? NF4_ZERO;
      v |= ((hi << 4) | lo) << (8 * k);
    }
    words[w] = v;
  }
  return words;
}

/** Packs bytes 4 to an int32 word, little-endian. */
export function packBytes(bytes: Uint8Array): Int32Array {
  const words = new Int32Array(Math.ceil(bytes.length / 4));
  for (let i = 0; i < bytes.length; i++) words[i >> 2] |= bytes[i] << (8 * (i & 3));
  return words;
}

/** The n 4-bit codes of packed words (host side; for tests and export). */
export function unpackNibbles(words: Int32Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const byte = (words[i >> 3] >>> (8 * ((i & 7) >> 1))) & 0xff;
    out[i] = i & 1 ? byte & 15 : byte >> 4;
  }
  return out;
}

export function unpackBytes(words: Int32Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (words[i >> 2] >>> (8 * (i & 3))) & 0xff;
  return out;
}

/** Quantizes a float32 weight W [out, in] (row-major) to NF4 with double quantization. */
export function quantizeNf4(data: Float32Array, shape: [number, number], how: 'native' | 'js' = 'native'): Nf4Host {
  if (data.length !== shape[0] * shape[1]) throw new Error(`quantizeNf4: ${data.length} values for shape [${shape}]`);
  const { codes, absmax } = firstLevel(data, how === 'native' ? installedNativeBlas() : undefined);
  let sum = 0;
  for (const a of absmax) sum += a;
  const offset = Math.fround(sum / absmax.length); // float64 accumulation, then float32
  const centered = Float32Array.from(absmax, (a) => Math.fround(a - offset));
  const map = dynamicMap();
  const q2 = quantizeBlockwise(centered, map, NF4_NESTED_BLOCKSIZE, map.indexOf(0));
  return { shape, codes, qabsmax: packBytes(q2.codes), absmax2: q2.absmax, offset };
}

/** Values per double-quantization group: 256 blocks of 64 share one absmax2. */
export const NF4_GROUP = NF4_BLOCKSIZE * NF4_NESTED_BLOCKSIZE;

/**
 * Rows [first, first + n) of a quantized weight, as a weight of its own with the same bits: the
 * rows must start at a whole double-quantization group (first * cols a multiple of NF4_GROUP), so
 * the codes, absmax codes and absmax2 are slices, and the offset (the whole weight's mean absmax) is kept.
 */
export function nf4Rows(q: Nf4Host, first: number, n: number): Nf4Host {
  const cols = q.shape[1];
  const start = first * cols;
  if (start % NF4_GROUP !== 0) throw new Error(`nf4Rows: row ${first} of [${q.shape}] does not start a group of ${NF4_GROUP} values`);
  const end = (first + n) * cols;
  const blocks = (e: number) => Math.ceil(e / NF4_BLOCKSIZE);
  return {
    shape: [n, cols],
    codes: q.codes.slice(start / 8, Math.ceil(end / 8)),
    qabsmax: q.qabsmax.slice(blocks(start) / 4, Math.ceil(blocks(end) / 4)),
    absmax2: q.absmax2.slice(blocks(start) / NF4_NESTED_BLOCKSIZE, Math.ceil(blocks(end) / NF4_NESTED_BLOCKSIZE)),
    offset: q.offset,
  };
}

/** Packed NF4 codes and the absmax per 64: in the native addon when it is loaded (the same bits), else here. */
function firstLevel(data: Float32Array, blas: ReturnType<typeof installedNativeBlas>): { codes: Int32Array; absmax: Float32Array } {
  if (blas) {
    const codes = new Int32Array(Math.ceil(data.length / 8));
    const absmax = new Float32Array(Math.ceil(data.length / NF4_BLOCKSIZE));
    blas.nf4Quantize(data, codes, absmax, NF4_VALUES, NF4_ZERO);
    return { codes, absmax };
  }
  const q = quantizeBlockwise(data, NF4_VALUES, NF4_BLOCKSIZE, NF4_ZERO);
  return { codes: packNibbles(q.codes), absmax: q.absmax };
}

/** The block absmax of a quantized weight, dequantized (host). */
export function nf4Absmax(q: Nf4Host): Float32Array {
  const nb = Math.ceil((q.shape[0] * q.shape[1]) / NF4_BLOCKSIZE);
  const map = dynamicMap();
  const codes = unpackBytes(q.qabsmax, nb);
  return Float32Array.from(codes, (c, b) => Math.fround(Math.fround(map[c] * q.absmax2[Math.floor(b / NF4_NESTED_BLOCKSIZE)]) + q.offset));
}

/** W [out, in] row-major from a quantized weight (host): one pass over the words, a byte at a time. */
export function dequantizeNf4Host(q: Nf4Host): Float32Array {
  const n = q.shape[0] * q.shape[1];
  const absmax = nf4Absmax(q);
  const out = new Float32Array(n);
  const words = q.codes;
  const full = Math.floor(n / 8);
  for (let w = 0; w < full; w++) {
    const word = words[w];
    const scale = absmax[w >> 3]; // 8 words of 8 codes: one block of 64
    const i = 8 * w;
    out[i] = NF4_VALUES[(word >>> 4) & 15] * scale;
    out[i + 1] = NF4_VALUES[word & 15] * scale;
    out[i + 2] = NF4_VALUES[(word >>> 12) & 15] * scale;
    out[i + 3] = NF4_VALUES[(word >>> 8) & 15] * scale;
    out[i + 4] = NF4_VALUES[(word >>> 20) & 15] * scale;
    out[i + 5] = NF4_VALUES[(word >>> 16) & 15] * scale;
    out[i + 6] = NF4_VALUES[(word >>> 28) & 15] * scale;
    out[i + 7] = NF4_VALUES[(word >>> 24) & 15] * scale;
  }
  if (full * 8 < n) {
    const rest = unpackNibbles(words.subarray(full), n - full * 8);
    for (let j = 0; j < rest.length; j++) out[full * 8 + j] = NF4_VALUES[rest[j]] * absmax[Math.floor((full * 8 + j) / NF4_BLOCKSIZE)];
  }
  return out;
}

export function uploadNf4(q: Nf4Host): Nf4Weight {
  return {
    shape: q.shape,
    codes: tf.tensor1d(q.codes, 'int32'),
    qabsmax: tf.tensor1d(q.qabsmax, 'int32'),
    absmax2: tf.tensor1d(q.absmax2, 'float32'),
    offset: q.offset,
  };
}

export async function downloadNf4(w: Nf4Weight): Promise<Nf4Host> {
  const [codes, qabsmax, absmax2] = await Promise.all([w.codes.data(), w.qabsmax.data(), w.absmax2.data()]);
  return { shape: w.shape, codes: codes as Int32Array, qabsmax: qabsmax as Int32Array, absmax2: absmax2 as Float32Array, offset: w.offset };
}

/** downloadNf4 where the tensors live in host memory (wasm, cpu): a copy, not a device read. */
function hostWords(w: Nf4Weight): Nf4Host {
  return {
    shape: w.shape,
    codes: w.codes.dataSync() as Int32Array,
    qabsmax: w.qabsmax.dataSync() as Int32Array,
    absmax2: w.absmax2.dataSync() as Float32Array,
    offset: w.offset,
  };
}

/** Bytes held on the device by a quantized weight (its three tensors, plus the float32 offset). */
export function nf4Bytes(w: Nf4Weight): number {
  return 4 * (w.codes.size + w.qabsmax.size + w.absmax2.size) + 4;
}

export function disposeNf4(w: Nf4Weight): void {
  tf.dispose([w.codes, w.qabsmax, w.absmax2]);
}

let tables: { nf4: tf.Tensor1D; dynamic: tf.Tensor1D } | undefined;

const HOST_BACKENDS = new Set(['wasm', 'cpu']);

/** The two lookup tables, uploaded once (80 + 1024 bytes). */
function lookupTables(): { nf4: tf.Tensor1D; dynamic: tf.Tensor1D } {
  if (!tables || tables.nf4.isDisposed) {
    tables = { nf4: tf.keep(tf.tensor1d(NF4_VALUES)), dynamic: tf.keep(tf.tensor1d(dynamicMap())) };
  }
  return tables;
}

/**
 * Splits int32 words into `per` fields of `bits` bits each, low field first: [W] -> [W, per].
 * Only the low-bits remainder (mod by a power of two, exact in int32 on every backend) and
 * differences of remainders are formed; each difference is a field value times 2^(bits*j), a number
 * with at most `bits` significant bits, so even a backend that divides int32 in float32 (wasm)
 * divides it exactly. The top field comes out of the signed word as a negative multiple and is
 * brought back into range by the final mod.
 */
function unpack(words: tf.Tensor1D, bits: number, per: number): tf.Tensor2D {
  return tf.tidy(() => {
    const w = tf.reshape(words, [-1, 1]);
    const pow = (j: number) => 2 ** (bits * j);
    const low = tf.mod(w, tf.tensor2d([Array.from({ length: per - 1 }, (_, j) => pow(j + 1))], [1, per - 1], 'int32')); // [W, per-1]
    const upper = tf.concat([low, w], 1); // low bits up to field j, j = 0..per-1 (the last: the whole word)
    const lower = tf.concat([tf.zerosLike(w), low], 1); // low bits below field j
    const shifted = tf.floorDiv(tf.sub(upper, lower), tf.tensor2d([Array.from({ length: per }, (_, j) => pow(j))], [1, per], 'int32'));
    return tf.mod(shifted, tf.scalar(pow(1), 'int32')) as tf.Tensor2D;
  });
}

/** Multiplies flat values [n] by one scale per block of `blocksize` (the last block may be partial). */
function scaleBlocks(values: tf.Tensor1D, scales: tf.Tensor1D, blocksize: number): tf.Tensor1D {
  const n = values.shape[0];
  const nb = scales.shape[0];
  const padded = nb * blocksize > n ? tf.pad(values, [[0, nb * blocksize - n]]) : values;
  const out = tf.reshape(tf.mul(tf.reshape(padded, [nb, blocksize]), tf.reshape(scales, [nb, 1])), [-1]) as tf.Tensor1D;
  return nb * blocksize > n ? tf.slice(out, 0, n) : out;
}

/** Runs f in its own scope and disposes `input` afterwards: keeps at most two full-size tensors alive. */
function step<T extends tf.Tensor>(input: tf.Tensor, f: () => T): T {
  const out = tf.tidy(f);
  input.dispose();
  return out;
}

/**
 * W [out, in] float32 from a quantized weight, on the device (inside the forward pass, per layer).
 * Intermediates are disposed as soon as the next one exists, so the transient memory stays near
 * 6 int32 values per weight inside `unpack`, and two float copies at the end.
 */
export function dequantizeNf4(w: Nf4Weight): tf.Tensor2D {
  // On backends whose memory is the host's (wasm, cpu), the JS loop is ~100x faster than the int32
  // kernels (measured on wasm: 2.4 s for a 4.4M weight, mostly FloorDiv, Mod, Gather, Concat).
  const backend = tf.getBackend();
  if (HOST_BACKENDS.has(backend)) return tf.tensor2d(dequantizeNf4Host(hostWords(w)), w.shape);
  if (backend === 'webgpu') return dequantizeNf4WebGpu(w, lookupTables());
  return dequantizeNf4Kernels(w);
}

/** dequantizeNf4 with tfjs kernels only (node-gpu; the words never leave the device; inexact on webgpu). */
export function dequantizeNf4Kernels(w: Nf4Weight): tf.Tensor2D {
  const { nf4, dynamic } = lookupTables();
  const n = w.shape[0] * w.shape[1];
  const nb = Math.ceil(n / NF4_BLOCKSIZE);
  // absmax [nb] = dynamic[qabsmax] * absmax2[block / 256] + offset
  const absmax = tf.tidy(() => {
    const qcodes = tf.slice(tf.reshape(unpack(w.qabsmax, 8, 4), [-1]), 0, nb) as tf.Tensor1D;
    return tf.add(scaleBlocks(tf.gather(dynamic, qcodes) as tf.Tensor1D, w.absmax2, NF4_NESTED_BLOCKSIZE), w.offset) as tf.Tensor1D;
  });
  // 4-bit codes: fields come low nibble first, bitsandbytes puts the first code of a byte in the high one.
  const fields = unpack(w.codes, 4, 8); // [words, 8]
  const codes = step(fields, () => {
    const c = tf.reshape(tf.reverse(tf.reshape(fields, [-1, 4, 2]), 2), [-1]) as tf.Tensor1D;
    return n < c.shape[0] ? (tf.slice(c, 0, n) as tf.Tensor1D) : c;
  });
  const values = step(codes, () => tf.gather(nf4, codes) as tf.Tensor1D);
  const out = step(values, () => tf.reshape(scaleBlocks(values, absmax, NF4_BLOCKSIZE), w.shape) as tf.Tensor2D);
  absmax.dispose();
  return out;
}
