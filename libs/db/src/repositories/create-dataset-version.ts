import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { FieldError } from '@retort/contracts';
import { DEFAULT_LIMITS, validateJsonl, type ValidationLimits } from '@retort/datasets';
import { AuditLog, Dataset, DatasetVersion, type DatasetLineage } from '../entities';
import type { ArtifactStore } from '@retort/storage';

export interface CreateVersionDeps {
  ds: DataSource;
  store: ArtifactStore;
  /** Queues the import job (records + stats) of the new version. */
  enqueueImport: (versionId: string) => Promise<void>;
}

export type CreateVersionOptions = Partial<Pick<ValidationLimits, 'format' | 'purpose' | 'maxTokens' | 'countTokens'>> & { tokenizerModelId?: string | null };

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
 * with any error is deleted again and no row is written; a good one becomes the next version
 * and its import job is queued.
 */
export async function createDatasetVersion(
  deps: CreateVersionDeps,
  datasetId: string,
  source: Readable,
  actor: { name: string; tokenId: string | null },
  lineage: DatasetLineage,
  options: CreateVersionOptions = {},
): Promise<DatasetVersion> {
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
  const version = await deps.ds.transaction(async (m) => {
    await m.getRepository(Dataset).createQueryBuilder().setLock('pessimistic_write').where('id = :id', { id: datasetId }).getOneOrFail();
    const { max } = await m.getRepository(DatasetVersion).createQueryBuilder('v').select('MAX(v.version)', 'max').where('v.dataset_id = :datasetId', { datasetId }).getRawOne();
    const saved = await m.getRepository(DatasetVersion).save(
      m.getRepository(DatasetVersion).create({
        datasetId,
        version: (max ?? 0) + 1,
        status: 'processing',
        artifactKey: key,
        size: artifact.size,
        sha256: artifact.sha256,
        records: validation.records,
        stats: null,
        lineage,
        format: validation.format ?? null,
        purpose: options.purpose ?? null,
        analysis: {},
        tokenizerModelId: options.tokenizerModelId ?? null,
        error: null,
        readyAt: null,
      }),
    );
    await m.getRepository(AuditLog).insert({
      actor: actor.name,
      actorTokenId: actor.tokenId,
      action: 'dataset.version.create',
      targetType: 'dataset_version',
      targetId: saved.id,
      data: { datasetId, version: saved.version, sha256: saved.sha256, source: lineage.source } as Record<string, any>,
    });
    return saved;
  });
  await deps.enqueueImport(version.id);
  return version;
}
