import type { DataSource, EntityManager } from 'typeorm';
import type { DatasetImportPayload } from '@retort/contracts';
import { computeStats, contentHash, LineError, parseRecord, readLines, recordTokens } from '@retort/datasets';
import { BaseModel, DatasetVersion } from '@retort/db';
import { tokenCounter } from '@retort/tokenizer';
import type { ArtifactStore } from '@retort/storage';

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
  const version = await deps.ds.getRepository(DatasetVersion).findOneBy({ id: payload.versionId });
  if (!version) throw new Error(`dataset version ${payload.versionId} does not exist`);
  if (version.status === 'ready') return { skipped: true };

  const model = version.tokenizerModelId ? await deps.ds.getRepository(BaseModel).findOneBy({ id: version.tokenizerModelId }) : null;
  const countTokens = model ? tokenCounter(model.path) : undefined;
  const stats = await computeStats(await deps.store.get(version.artifactKey), { countTokens });
  let imported = 0;
  await deps.ds.transaction(async (m) => {
    await m.query('DELETE FROM record WHERE version_id = $1', [version.id]);
    let batch: Row[] = [];
    for await (const item of readLines(await deps.store.get(version.artifactKey), { maxLineBytes: 64 * 1024 * 1024 })) {
      if (item instanceof LineError) throw item;
      const parsed = parseRecord(item.text);
      if ('issues' in parsed) throw new LineError(item.line, parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
      const r = parsed.record;
      batch.push({ idx: imported++, messages: r.messages, meta: r.meta ?? {}, tags: r.tags ?? [], hash: contentHash(r), chars: r.messages.reduce((n, x) => n + x.content.length, 0), tokens: countTokens ? recordTokens(r, countTokens) : null });
      if (batch.length === BATCH) {
        await insertRows(m, version.id, batch);
        batch = [];
      }
    }
    if (batch.length) await insertRows(m, version.id, batch);
    await m.getRepository(DatasetVersion).update({ id: version.id, status: 'processing' }, { status: 'ready', stats, records: imported, readyAt: new Date(), error: null });
  });
  return { skipped: false, records: imported };
}

interface Row {
  idx: number;
  messages: unknown;
  meta: unknown;
  tags: string[];
  hash: string;
  chars: number;
  tokens: number | null;
}

/** One round trip per batch: parallel arrays unnested into rows (works on Postgres and PGlite). */
async function insertRows(m: EntityManager, versionId: string, rows: Row[]): Promise<void> {
  await m.query(
    `INSERT INTO record (version_id, idx, messages, meta, tags, content_hash, chars, token_count)
     SELECT $1, r.idx, r.messages, r.meta, ARRAY(SELECT jsonb_array_elements_text(r.tags)), r.hash, r.chars, r.tokens
     FROM unnest($2::int[], $3::jsonb[], $4::jsonb[], $5::jsonb[], $6::text[], $7::int[], $8::int[]) AS r(idx, messages, meta, tags, hash, chars, tokens)`,
    [
      versionId,
      rows.map((r) => r.idx),
      rows.map((r) => JSON.stringify(r.messages)),
      rows.map((r) => JSON.stringify(r.meta)),
      rows.map((r) => JSON.stringify(r.tags)),
      rows.map((r) => r.hash),
      rows.map((r) => r.chars),
      rows.map((r) => r.tokens),
    ],
  );
}

/** Called when the last attempt failed, so the version does not stay "processing" forever. */
export async function failDatasetImport(payload: DatasetImportPayload, deps: Pick<DatasetImportDeps, 'ds'>, error: string): Promise<void> {
  await deps.ds.getRepository(DatasetVersion).update({ id: payload.versionId, status: 'processing' }, { status: 'failed', error });
}
