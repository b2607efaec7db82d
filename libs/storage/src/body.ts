import { createHash } from 'node:crypto';
import type { ArtifactBody } from './artifact-store';

/** The body as a sequence of Buffers; a stream is consumed chunk by chunk, never buffered whole. */
export async function* bodyChunks(body: ArtifactBody): AsyncGenerator<Buffer> {
  if (typeof body === 'string') {
    yield Buffer.from(body, 'utf8');
  } else if (Buffer.isBuffer(body)) {
    yield body;
  } else if (body && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    for await (const chunk of body) yield toBuffer(chunk);
  } else {
    throw new TypeError('artifact body must be a Readable, a Buffer or a string');
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('artifact body stream must yield Buffers, Uint8Arrays or strings');
}

/** SHA-256 and byte count of everything passed to update(). */
export class ContentDigest {
  private readonly hash = createHash('sha256');
  size = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}

export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(toBuffer(chunk));
  return Buffer.concat(chunks);
}
