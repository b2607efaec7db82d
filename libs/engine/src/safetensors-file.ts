/**
 * safetensors files of any size, tensor by tensor: the header is read with one positioned read, each
 * tensor's bytes with positioned reads of at most CHUNK_BYTES decoded straight into its float32
 * array; writing streams each tensor's values through one chunk-sized buffer. A file is never held
 * in one buffer (Node's buffers stop at 2 GiB for reads and 4 GiB in all; the real students' files
 * are 3.5–9 GB), so peak host memory is the largest tensor as float32 plus one chunk.
 */
import * as fs from 'node:fs';
import { decodeInto, encodeHeader, encodeInto, HostTensor, parseHeader, SafeDtype, SAFE_BYTES, tensorCount, TensorEntry } from './safetensors';

const CHUNK_BYTES = 64 * 1024 * 1024;

export class SafetensorsFileReader {
  readonly entries: Map<string, TensorEntry>;
  readonly metadata: Record<string, string>;
  private fd: number;
  private readonly dataStart: number;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(this.fd).size;
      const head = this.readAt(0, Math.min(8, size));
      if (head.length < 8) throw new Error(`${file}: too short for a safetensors header`);
      const headerLen = Number(head.readBigUInt64LE(0));
      if (8 + headerLen > size) throw new Error(`${file}: header length ${headerLen} exceeds the file (${size} bytes)`);
      const header = parseHeader(this.readAt(8, headerLen), file, size - 8 - headerLen);
      this.entries = header.entries;
      this.metadata = header.metadata;
      this.dataStart = 8 + headerLen;
    } catch (err) {
      fs.closeSync(this.fd);
      throw err;
    }
  }

  /** One tensor as float32, converted chunk by chunk from its stored dtype. */
  read(name: string): HostTensor {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.file}: no tensor ${name}`);
    const out = new Float32Array(e.count);
    const width = SAFE_BYTES[e.dtype];
    const perChunk = Math.floor(CHUNK_BYTES / width);
    const scratch = Buffer.allocUnsafe(Math.min(e.count, perChunk) * width);
    for (let done = 0; done < e.count; done += perChunk) {
      const n = Math.min(perChunk, e.count - done);
      const bytes = this.readAt(this.dataStart + e.begin + done * width, n * width, scratch);
      decodeInto(e.dtype, bytes, out, done);
    }
    return { shape: e.shape, data: out };
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private readAt(position: number, length: number, into?: Buffer): Buffer {
    const buf = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = fs.readSync(this.fd, buf, got, length - got, position + got);
      if (n === 0) throw new Error(`${this.file}: unexpected end of file at byte ${position + got} (wanted ${length} bytes at ${position})`);
      got += n;
    }
    return buf;
  }
}

/**
 * A tensor to write: its values whole, or as consecutive chunks (so that no float copy of it need
 * exist); chunks that come from a device read arrive asynchronously (writeSafetensorsFileAsync).
 */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | (() => Iterable<Float32Array>);
}

export interface AsyncTensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | (() => Iterable<Float32Array> | AsyncIterable<Float32Array>);
}

/**
 * One safetensors file being written: the header first, then each tensor's chunks in the order of
 * the header. It is written under a temporary name and renamed by `finish`, so a crash leaves no
 * half-written file under the real name.
 */
class SafetensorsFileWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private readonly total: number;
  private readonly width: number;
  private readonly scratch = Buffer.allocUnsafe(CHUNK_BYTES);
  private pos: number;

  constructor(
    private readonly file: string,
    tensors: { name: string; shape: number[] }[],
    private readonly dtype: SafeDtype,
    metadata?: Record<string, string>,
  ) {
    this.width = SAFE_BYTES[dtype];
    const { head, dataBytes } = encodeHeader(tensors, dtype, metadata);
    this.tmp = `${file}.${process.pid}.tmp`;
    this.total = head.length + dataBytes;
    this.fd = fs.openSync(this.tmp, 'w');
    this.pos = writeAt(this.fd, head, 0);
  }

  /** Appends one chunk of tensor t, `written` values of it before; returns the values written after. */
  append(t: { name: string; shape: number[] }, chunk: Float32Array, written: number): number {
    const count = tensorCount(t.shape);
    if (written + chunk.length > count) throw new Error(`safetensors: tensor ${t.name} has more than ${count} values for shape ${JSON.stringify(t.shape)}`);
    for (let at = 0; at < chunk.length; ) {
      const n = Math.min(chunk.length - at, Math.floor(CHUNK_BYTES / this.width));
      this.pos = writeAt(this.fd, encodeInto(this.dtype, chunk.subarray(at, at + n), this.scratch), this.pos);
      at += n;
    }
    return written + chunk.length;
  }

  endTensor(t: { name: string; shape: number[] }, written: number): void {
    if (written !== tensorCount(t.shape)) throw new Error(`safetensors: tensor ${t.name} has ${written} values for shape ${JSON.stringify(t.shape)}`);
  }

  finish(): number {
    fs.ftruncateSync(this.fd, this.total); // the file's length, where its last chunks were zeros and so skipped
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.file);
    return this.total;
  }

  abort(): void {
    fs.closeSync(this.fd);
    fs.rmSync(this.tmp, { force: true });
  }
}

/** Writes a safetensors file, tensors in the given order (readers take the offsets from the header, in any order). */
export function writeSafetensorsFile(file: string, tensors: TensorToWrite[], dtype: SafeDtype = 'F32', metadata?: Record<string, string>): number {
  const w = new SafetensorsFileWriter(file, tensors, dtype, metadata);
  try {
    for (const t of tensors) {
      let written = 0;
      for (const chunk of typeof t.data === 'function' ? t.data() : [t.data]) written = w.append(t, chunk, written);
      w.endTensor(t, written);
    }
  } catch (err) {
    w.abort();
    throw err;
  }
  return w.finish();
}

/** writeSafetensorsFile for chunks that arrive asynchronously (device reads), one tensor at a time. */
export async function writeSafetensorsFileAsync(file: string, tensors: AsyncTensorToWrite[], dtype: SafeDtype = 'F32', metadata?: Record<string, string>): Promise<number> {
  const w = new SafetensorsFileWriter(file, tensors, dtype, metadata);
  try {
    for (const t of tensors) {
      let written = 0;
      for await (const chunk of typeof t.data === 'function' ? t.data() : [t.data]) written = w.append(t, chunk, written);
      w.endTensor(t, written);
    }
  } catch (err) {
    w.abort();
    throw err;
  }
  return w.finish();
}

let zeros: Buffer | undefined;

/**
 * Writes buf at position and returns the position after it. An all-zero buffer is skipped, leaving a
 * hole that reads as zeros: zero-initialised tensors (biases, padding) then take no disk space.
 */
function writeAt(fd: number, buf: Buffer, position: number): number {
  zeros ??= Buffer.alloc(CHUNK_BYTES);
  if (buf.length <= zeros.length && buf.equals(zeros.subarray(0, buf.length))) return position + buf.length;
  for (let at = 0; at < buf.length; ) at += fs.writeSync(fd, buf, at, buf.length - at, position + at);
  return position + buf.length;
}
