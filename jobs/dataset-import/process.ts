import type { DataSource } from 'typeorm';
import type { DatasetImportPayload } from '@retort/contracts';
import { computeStats, contentHash, LineError, parseRecord, readLines, recordTokens } from '@retort/datasets';
import { Repositories, type ImportedRecord } from '@retort/db';
import { tokenCounter } from '@retort/tokenizer';
import type { ArtifactStore } from '@retort/storage';
import { ForeignJobError } from '../run-errors';

export interface DatasetImportDeps {
  ds: DataSource;
  store: ArtifactStore;
}

const BATCH = 2000;

/**
 * Materialises a version's records from its artifact for curation and computes its stats, then
 * marks it ready. Idempotent: a ready version is skipped, and a re-run after a crash replaces the
 * half-imported rows inside one transaction.
 */
export async function processDatasetImport(payload: DatasetImportPayload, deps: DatasetImportDeps): Promise<{ skipped: boolean; records?: number }> {
  const db = Repositories.of(deps.ds);
  const version = await db.datasetVersions.findById(payload.versionId);
  if (!version) throw new ForeignJobError(`dataset version ${payload.versionId}`);
  if (version.status === 'ready') return { skipped: true };

  const model = version.tokenizerModelId ? await db.baseModels.findById(version.tokenizerModelId) : null;
  const countTokens = model ? tokenCounter(model.path) : undefined;
  const stats = await computeStats(await deps.store.get(version.artifactKey), { countTokens });
  let imported = 0;
  await db.transaction(async (tx) => {
    await tx.records.deleteOfVersion(version.id);
    let batch: ImportedRecord[] = [];
    for await (const item of readLines(await deps.store.get(version.artifactKey), { maxLineBytes: 64 * 1024 * 1024 })) {
      if (item instanceof LineError) throw item;
      const parsed = parseRecord(item.text);
      if ('issues' in parsed) throw new LineError(item.line, parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
      const r = parsed.record;
      batch.push({ idx: imported++, messages: r.messages, meta: r.meta ?? {}, tags: r.tags ?? [], hash: contentHash(r), chars: r.messages.reduce((n, x) => n + x.content.length, 0), tokens: countTokens ? recordTokens(r, countTokens) : null });
      if (batch.length === BATCH) {
        await tx.records.insertImported(version.id, batch);
        batch = [];
      }
    }
    if (batch.length) await tx.records.insertImported(version.id, batch);
    await tx.datasetVersions.markReady(version.id, { stats, records: imported });
  });
  return { skipped: false, records: imported };
}

/** Called when the last attempt failed, so the version does not stay "processing" forever. */
export async function failDatasetImport(payload: DatasetImportPayload, deps: Pick<DatasetImportDeps, 'ds'>, error: string): Promise<void> {
  await Repositories.of(deps.ds).datasetVersions.markFailed(payload.versionId, error);
}
