/**
 * safetensors read/write, by hand: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {..}}`, then raw little-endian data.
 * Reading converts F32/F16/BF16 to float32 (tfjs is float32 only); writing emits F32, F16 or BF16.
 */

export type SafeDtype = 'F32' | 'F16' | 'BF16';

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

/** One tensor of a safetensors header: dtype, shape and where its bytes lie after the header. */
export interface TensorEntry {
  dtype: SafeDtype;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

export const SAFE_BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export function tensorCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The start of a safetensors file for these tensors, their data laid out in the given order: the
 * 8-byte little-endian header length and the header JSON, padded so the data starts 8-aligned.
 */
export function encodeHeader(tensors: { name: string; shape: number[] }[], dtype: SafeDtype, metadata?: Record<string, string>): { head: Buffer; dataBytes: number } {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const size = tensorCount(t.shape) * SAFE_BYTES[dtype];
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(8 + jsonBytes.length);
  head.writeBigUInt64LE(BigInt(jsonBytes.length), 0);
  jsonBytes.copy(head, 8);
  return { head, dataBytes: offset };
}

/** Parses and checks a header (the JSON after the 8-byte length); dataSize is the byte count after it. */
export function parseHeader(json: Uint8Array, source: string, dataSize: number): { entries: Map<string, TensorEntry>; metadata: Record<string, string> } {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${source}: the safetensors header is not valid JSON (${(err as Error).message})`);
  }
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = value as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = value as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const width = SAFE_BYTES[dtype as SafeDtype];
    if (width === undefined) throw new Error(`${source}: tensor ${name} has dtype ${dtype}; supported: F32, F16, BF16`);
    if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) throw new Error(`${source}: tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    const count = tensorCount(shape);
    const [begin, end] = Array.isArray(offsets) ? offsets : [NaN, NaN];
    if (!Number.isInteger(begin) || end - begin !== count * width || begin < 0 || end > dataSize) {
      throw new Error(`${source}: tensor ${name} has data_offsets [${begin}, ${end}] inconsistent with ${dtype}${JSON.stringify(shape)} (${dataSize} data bytes)`);
    }
    entries.set(name, { dtype: dtype as SafeDtype, shape, count, begin, end });
  }
  return { entries, metadata };
}

/** IEEE half (binary16) to float. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float to IEEE half, round to nearest even. */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

/** Float to bfloat16, round to nearest even. */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Decodes little-endian values of dtype into out[at..]: whole typed-array copies where aligned. */
export function decodeInto(dtype: SafeDtype, bytes: Uint8Array, out: Float32Array, at = 0): void {
  const n = bytes.byteLength / SAFE_BYTES[dtype];
  const aligned = bytes.byteOffset % SAFE_BYTES[dtype] === 0;
  if (dtype === 'F32') {
    if (aligned) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n), at);
    else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) out[at + i] = view.getFloat32(4 * i, true);
    }
    return;
  }
  const halves = aligned ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : Uint16Array.from({ length: n }, (_, i) => bytes[2 * i] | (bytes[2 * i + 1] << 8));
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer, out.byteOffset + 4 * at, n);
    for (let i = 0; i < n; i++) bits[i] = halves[i] << 16;
  } else {
    for (let i = 0; i < n; i++) out[at + i] = f16ToF32(halves[i]);
  }
}

/** Encodes values as little-endian dtype into the start of scratch (which must be large enough). */
export function encodeInto(dtype: SafeDtype, values: Float32Array, scratch: Buffer): Buffer {
  const size = values.length * SAFE_BYTES[dtype];
  if (dtype === 'F32') {
    Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(scratch);
    return scratch.subarray(0, size);
  }
  const halves = new Uint16Array(scratch.buffer, scratch.byteOffset, values.length);
  if (dtype === 'F16') {
    for (let i = 0; i < values.length; i++) halves[i] = f32ToF16(values[i]);
    return scratch.subarray(0, size);
  }
  // f32ToBf16 inlined: this loop runs over every weight of a model export
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    halves[i] = (x & 0x7f800000) === 0x7f800000 && x & 0x7fffff ? (x >>> 16) | 0x40 : ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return scratch.subarray(0, size);
}

/** Parses a safetensors buffer; every tensor becomes float32. */
export function readSafetensors(buf: Uint8Array, source = 'safetensors'): SafetensorsFile {
  if (buf.byteLength < 8) throw new Error(`${source}: too short for a safetensors header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (8 + headerLen > buf.byteLength) throw new Error(`${source}: header length ${headerLen} exceeds the file`);
  const base = 8 + headerLen;
  const { entries, metadata } = parseHeader(buf.subarray(8, base), source, buf.byteLength - base);
  const tensors = new Map<string, HostTensor>();
  for (const [name, e] of entries) {
    const data = new Float32Array(e.count);
    decodeInto(e.dtype, buf.subarray(base + e.begin, base + e.end), data);
    tensors.set(name, { shape: e.shape, data });
  }
  return { tensors, metadata };
}

/** Serialises float32 tensors as safetensors (keys sorted, as the Python library writes them). */
export function writeSafetensors(
  tensors: Map<string, HostTensor> | Record<string, HostTensor>,
  metadata?: Record<string, string>,
  dtype: SafeDtype = 'F32',
): Buffer {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  for (const [name, t] of entries) {
    if (tensorCount(t.shape) !== t.data.length) throw new Error(`safetensors: tensor ${name} has ${t.data.length} values for shape ${JSON.stringify(t.shape)}`);
  }
  const { head, dataBytes } = encodeHeader(entries.map(([name, t]) => ({ name, shape: t.shape })), dtype, metadata);
  const out = Buffer.alloc(head.length + dataBytes);
  head.copy(out, 0);
  let pos = head.length;
  for (const [, t] of entries) pos += encodeInto(dtype, t.data, out.subarray(pos)).length;
  return out;
}
