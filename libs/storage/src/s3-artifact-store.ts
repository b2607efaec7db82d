import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import type { ArtifactBody, ArtifactStat, ArtifactStore, PutOptions, PutResult } from './artifact-store';
import { readAll } from './body';
import { ArtifactNotFoundError } from './errors';
import { compareKeys, validateKey, validatePrefix } from './key';
import { spoolToTempFile } from './spool';
import { bufferSource, fileSource, uploadObject, type ByteSource } from './s3-upload';

export interface S3ArtifactStoreOptions {
  endPoint: string;
  port?: number;
  useSSL?: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** Default us-east-1; given explicitly so the client never asks the server for it. */
  region?: string;
  /** Default true: MinIO and most S3-compatible servers want path-style URLs. */
  pathStyle?: boolean;
  /** Multipart part size in bytes (at least 5 MiB, minio's default 64 MiB); one part is held in memory per upload. */
  partSize?: number;
  /** Where streamed bodies are spooled while their sha256 is computed; default the OS temp dir. */
  spoolDir?: string;
  /** check() gives up after this long; default 5000 ms. */
  checkTimeoutMs?: number;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const SHA256_META = 'sha256';

/** Artifacts as objects in one bucket, with their sha256 kept as x-amz-meta-sha256. */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  private readonly client: Client;
  private readonly region: string;
  private readonly spoolDir: string;
  private readonly checkTimeoutMs: number;

  constructor(opts: S3ArtifactStoreOptions) {
    this.bucket = opts.bucket;
    this.region = opts.region ?? 'us-east-1';
    this.spoolDir = opts.spoolDir ?? tmpdir();
    this.checkTimeoutMs = opts.checkTimeoutMs ?? 5000;
    this.client = new Client({
      endPoint: opts.endPoint,
      port: opts.port,
      useSSL: opts.useSSL ?? false,
      accessKey: opts.accessKey,
      secretKey: opts.secretKey,
      region: this.region,
      pathStyle: opts.pathStyle ?? true,
      partSize: opts.partSize,
    });
  }

  async put(key: string, body: ArtifactBody, opts: PutOptions = {}): Promise<PutResult> {
    validateKey(key);
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      const sha256 = createHash('sha256').update(buffer).digest('hex');
      await this.upload(key, bufferSource(buffer), sha256, opts);
      return { key, size: buffer.length, sha256, uri: this.uri(key) };
    }
    const spooled = await spoolToTempFile(body, this.spoolDir);
    try {
      const fh = await open(spooled.path, 'r');
      try {
        await this.upload(key, fileSource(fh, spooled.size), spooled.sha256, opts);
      } finally {
        await fh.close();
      }
    } finally {
      await spooled.remove();
    }
    return { key, size: spooled.size, sha256: spooled.sha256, uri: this.uri(key) };
  }

  async get(key: string): Promise<Readable> {
    validateKey(key);
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (err) {
      if (errorCode(err) === 'NoSuchKey') throw new ArtifactNotFoundError(key, this.uri(key));
      throw err;
    }
  }

  async getBuffer(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  async stat(key: string): Promise<ArtifactStat | null> {
    validateKey(key);
    try {
      const st = await this.client.statObject(this.bucket, key);
      const sha256 = st.metaData?.[SHA256_META];
      return typeof sha256 === 'string' ? { size: st.size, sha256 } : { size: st.size };
    } catch (err) {
      // A HEAD response has no body, so a missing key arrives as plain NotFound.
      if (['NotFound', 'NoSuchKey'].includes(errorCode(err))) return null;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    await this.client.removeObject(this.bucket, key);
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if (item.name) keys.push(item.name);
    }
    return keys.sort(compareKeys);
  }

  uri(key: string): string {
    validateKey(key);
    return `s3://${this.bucket}/${key}`;
  }

  async check(): Promise<void> {
    const found = await withTimeout(this.client.bucketExists(this.bucket), this.checkTimeoutMs, `S3 did not answer within ${this.checkTimeoutMs} ms`);
    if (!found) throw new Error(`S3 bucket "${this.bucket}" does not exist`);
  }

  async ensureReady(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (err) {
      // Another process may have created it between the two calls.
      if (!(await this.client.bucketExists(this.bucket))) throw err;
    }
  }

  private async upload(key: string, source: ByteSource, sha256: string, opts: PutOptions): Promise<void> {
    const headers = { 'Content-Type': opts.contentType ?? DEFAULT_CONTENT_TYPE, [`x-amz-meta-${SHA256_META}`]: sha256 };
    await uploadObject(this.client, this.bucket, key, source, headers);
  }
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : '';
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
