import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { FieldError } from '@retort/contracts';
import type { ArtifactStore } from '@retort/storage';
import { DEFAULT_LIMITS, validateJsonl, type ValidationLimits } from './validate';

/** A validated upload in the artifact store, in canonical JSONL. */
export interface StoredVersionArtifact {
  artifactKey: string;
  size: number;
  sha256: string;
  records: number;
  format: string | null;
}

export interface CreateVersionDeps<V> {
  store: Pick<ArtifactStore, 'put' | 'delete'>;
  /** Records the stored artifact as the next version of the data set (with its audit row). */
  save: (artifact: StoredVersionArtifact) => Promise<V>;
  /** Queues the import job (records + stats) of the new version. */
  enqueueImport: (version: V) => Promise<void>;
}

export type CreateVersionOptions = Partial<Pick<ValidationLimits, 'format' | 'purpose' | 'maxTokens' | 'countTokens'>>;

/** A file with bad lines: nothing was kept. */
export class InvalidDatasetError extends Error {
  constructor(
    readonly errors: FieldError[],
    readonly totalErrors: number,
  ) {
    const shown = errors.length < totalErrors ? ` (the first ${errors.length} are listed)` : '';
    super(`the file has ${totalErrors} invalid line(s)${shown}; no version was created`);
  }
}

/**
 * The one way a dataset version comes to exist (upload, curation commit, generation run):
 * validates a JSONL source while streaming its canonical form to the artifact store; a source
 * with any error is deleted again and nothing is saved; a good one is saved as the next version
 * and its import job is queued.
 */
export async function createDatasetVersion<V>(deps: CreateVersionDeps<V>, datasetId: string, source: Readable, options: CreateVersionOptions = {}): Promise<V> {
  const key = `datasets/${datasetId}/uploads/${randomUUID()}.jsonl`;
  const canonical = new PassThrough();
  const stored = deps.store.put(key, canonical, { contentType: 'application/x-ndjson' });
  let validation;
  try {
    validation = await validateJsonl(source, canonical, { ...DEFAULT_LIMITS, format: options.format, purpose: options.purpose, maxTokens: options.maxTokens, countTokens: options.countTokens });
  } catch (err) {
    canonical.destroy();
    await stored.catch(() => undefined);
    await deps.store.delete(key).catch(() => undefined);
    throw err;
  }
  const artifact = await stored;
  if (validation.totalErrors > 0) {
    await deps.store.delete(key);
    throw new InvalidDatasetError(validation.errors, validation.totalErrors);
  }
  const version = await deps.save({ artifactKey: key, size: artifact.size, sha256: artifact.sha256, records: validation.records, format: validation.format ?? null });
  await deps.enqueueImport(version);
  return version;
}
