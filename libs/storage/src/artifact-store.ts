import type { Readable } from 'node:stream';

export type ArtifactBody = Readable | Buffer | string;

export interface PutOptions {
  /** Recorded by the S3 store; the filesystem store has nowhere to keep it. */
  contentType?: string;
}

export interface PutResult {
  key: string;
  size: number;
  /** Hex SHA-256 of the bytes written, computed while they streamed through. */
  sha256: string;
  uri: string;
}

export interface ArtifactStat {
  size: number;
  /** Present where the store recorded it at write time (S3 object metadata). */
  sha256?: string;
}

export interface ArtifactStore {
  readonly kind: 'fs' | 's3';
  /** Atomic: readers see the old object or the whole new one; a failed put leaves nothing. */
  put(key: string, body: ArtifactBody, opts?: PutOptions): Promise<PutResult>;
  /** Throws ArtifactNotFoundError when the key is absent. */
  get(key: string): Promise<Readable>;
  getBuffer(key: string): Promise<Buffer>;
  stat(key: string): Promise<ArtifactStat | null>;
  exists(key: string): Promise<boolean>;
  /** Idempotent: deleting an absent key succeeds. */
  delete(key: string): Promise<void>;
  /** Keys that start with the prefix (plain string prefix, as in S3), sorted. */
  list(prefix: string): Promise<string[]>;
  uri(key: string): string;
  /** For /healthz: resolves when the store is usable, throws when it is not. */
  check(): Promise<void>;
  /** Creates the bucket or the root directory if missing. */
  ensureReady(): Promise<void>;
}
