import type { DataSource } from 'typeorm';
import { createMigratedTestDataSource, Repositories, type ImportedRecord, type NewDatasetVersion } from '../src';

const ACTOR = { name: 'tester', tokenId: null };
const STATS = { records: 3, turns: 3, messages: 6, roles: {}, chars: { min: 1, max: 1, mean: 1 }, tags: {}, duplicates: { exact: 0 } };

function record(idx: number, tags: string[] = []): ImportedRecord {
  return { idx, messages: [{ role: 'user', content: `q${idx}` }, { role: 'assistant', content: `a${idx}` }], meta: { idx }, tags, hash: `h${idx}`, chars: 4, tokens: null };
}

describe('dataset repositories (what the dataset jobs write)', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  let db: Repositories;

  beforeAll(async () => {
    ({ ds, drop } = await createMigratedTestDataSource());
    db = Repositories.of(ds);
  });
  afterAll(() => drop());

  const draft = (datasetId: string, runId: string): NewDatasetVersion => ({
    datasetId,
    artifactKey: `datasets/${datasetId}/uploads/${runId}.jsonl`,
    size: 10,
    sha256: 'abc',
    records: 3,
    lineage: { source: 'generation', runId },
    format: 'chat',
    purpose: 'train',
    tokenizerModelId: null,
  });

  it('numbers versions per data set, audits each, and finds a generation run by its lineage', async () => {
    const dataset = await db.datasets.ensure('synthetic', 'from a teacher');
    expect((await db.datasets.ensure('synthetic', 'another description')).id).toBe(dataset.id);
    const runs = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
    const [v1, v2] = await Promise.all(runs.map((r) => db.datasetVersions.createNext(draft(dataset.id, r), ACTOR)));
    expect([v1.version, v2.version].sort()).toEqual([1, 2]);
    expect(v1.status).toBe('processing');
    expect((await db.audit.forTarget('dataset_version', v1.id)).map((a) => [a.action, a.actor, a.data.source])).toEqual([['dataset.version.create', 'tester', 'generation']]);
    expect((await db.datasetVersions.ofGenerationRun(runs[1]))?.id).toBe(v2.id);
    expect(await db.datasetVersions.ofGenerationRun('00000000-0000-4000-8000-000000000009')).toBeNull();
  });

  it('imports records in one transaction, pages them by status and tag, and marks the version ready once', async () => {
    const dataset = await db.datasets.create({ name: 'imported' });
    const v = await db.datasetVersions.createNext(draft(dataset.id, '00000000-0000-4000-8000-000000000003'), ACTOR);
    await db.transaction(async (tx) => {
      await tx.records.insertImported(v.id, [record(0, ['a']), record(1)]);
      await tx.records.deleteOfVersion(v.id);
      await tx.records.insertImported(v.id, [record(0, ['a']), record(1), record(2, ['a'])]);
      await tx.datasetVersions.markReady(v.id, { stats: STATS, records: 3 });
    });
    await db.datasetVersions.markFailed(v.id, 'too late');
    const ready = await db.datasetVersions.findById(v.id);
    expect([ready?.status, ready?.records, ready?.error]).toEqual(['ready', 3, null]);

    const pages = async (opts: Parameters<Repositories['records']['pages']>[1]) => {
      const out: number[][] = [];
      for await (const page of db.records.pages(v.id, opts)) out.push(page.map((r) => r.idx));
      return out;
    };
    expect(await pages({ pageSize: 2 })).toEqual([[0, 1], [2]]);
    expect(await pages({ pageSize: 5, tag: 'a' })).toEqual([[0, 2]]);
    const [first] = (await db.records.pages(v.id, { pageSize: 1 }).next()).value!;
    expect(first).toEqual(expect.objectContaining({ idx: 0, meta: { idx: 0 }, tags: ['a'] }));
    expect(await db.records.reject(v.id, [first.id])).toBe(1);
    expect(await pages({ pageSize: 5, statuses: ['pending', 'accepted'] })).toEqual([[1, 2]]);

    await db.records.replaceMessages(first.id, { messages: [{ role: 'user', content: '[email]' }], contentHash: 'h', chars: 7 });
    const scrubbed = await db.records.findById(first.id);
    expect([scrubbed?.messages[0].content, scrubbed?.edited, scrubbed?.chars]).toEqual(['[email]', true, 7]);
  });

  it('sets one analysis entry without touching the others', async () => {
    const dataset = await db.datasets.create({ name: 'analysed' });
    const v = await db.datasetVersions.createNext(draft(dataset.id, '00000000-0000-4000-8000-000000000004'), ACTOR);
    await db.datasetVersions.setAnalysis(v.id, { pii: { status: 'queued' }, dedup: { status: 'queued' } });
    await db.datasetVersions.setAnalysisEntry(v.id, 'dedup', { status: 'done' });
    expect((await db.datasetVersions.findById(v.id))?.analysis).toEqual({ pii: { status: 'queued' }, dedup: { status: 'done' } });
  });
});
