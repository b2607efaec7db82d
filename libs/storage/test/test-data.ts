import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Deterministic incompressible bytes (xorshift32), so a failure reproduces byte for byte. */
export function pseudoRandomBytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The buffer as a byte stream of chunkSize pieces, the way a file or an HTTP body arrives. */
export function streamOf(data: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < data.length; offset += chunkSize) yield data.subarray(offset, offset + chunkSize);
    })(),
  );
}

/** Yields `goodBytes` of data, then fails the way a dropped upload connection would. */
export function streamFailingAfter(goodBytes: number, error: Error): Readable {
  const data = pseudoRandomBytes(goodBytes, 7);
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < data.length; offset += 256 * 1024) {
        yield data.subarray(offset, offset + 256 * 1024);
        await new Promise((resolve) => setImmediate(resolve));
      }
      throw error;
    })(),
  );
}

/** A stream its producer destroys (no error) after some data: an aborted request body. */
export function streamDestroyedAfter(goodBytes: number): Readable {
  const stream = new Readable({ read() {} });
  stream.push(pseudoRandomBytes(goodBytes, 9));
  setImmediate(() => stream.destroy());
  return stream;
}
