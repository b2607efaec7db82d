import { connectAndMigrate, createDataSource, createTestDatabase, Dataset, DatasetVersion, TestDatabase } from '../src';
import { DataSource } from 'typeorm';

describe('migrations', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 2 });
  });
  afterAll(async () => {
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
  });

  it('creates every table on an empty database and is a no-op the second time', async () => {
    const first = await connectAndMigrate(ds);
    expect(first).toEqual(['Init1763900000000', 'Records1763900100000', 'BaseModels1763900200000', 'Runs1763900300000', 'Registry1763900400000', 'GenerationCleaned1763900500000']);
    const tables = await ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
    expect(tables.map((t: { table_name: string }) => t.table_name)).toEqual(
      expect.arrayContaining(['api_token', 'audit_log', 'base_model', 'dataset', 'dataset_version', 'migrations', 'record', 'run', 'run_event']),
    );
    expect(await connectAndMigrate(ds)).toEqual([]);
  });

  it('maps entities onto the migrated schema (synchronize stays off)', async () => {
    expect(ds.options.synchronize).toBe(false);
    const dataset = await ds.getRepository(Dataset).save({ name: 'support', description: '' });
    const version = await ds.getRepository(DatasetVersion).save({
      datasetId: dataset.id,
      version: 1,
      status: 'processing',
      artifactKey: 'datasets/x/v1.jsonl',
      size: 12345678901,
      sha256: 'ab',
      lineage: { source: 'upload' },
      records: null,
      stats: null,
      error: null,
      readyAt: null,
    });
    const loaded = await ds.getRepository(DatasetVersion).findOneByOrFail({ id: version.id });
    expect(loaded.size).toBe(12345678901);
    expect(loaded.lineage).toEqual({ source: 'upload' });
    await expect(
      ds.getRepository(DatasetVersion).insert({ ...loaded, id: undefined }),
    ).rejects.toThrow(/duplicate key/);
  });
});

describe('migrations from several processes at once', () => {
  it('apply once when the api and workers start together', async () => {
    const db = await createTestDatabase();
    const sources = [1, 2, 3, 4].map(() => createDataSource(db.url, { poolSize: 2 }));
    try {
      const applied = await Promise.all(sources.map((s) => connectAndMigrate(s)));
      expect(applied.flat().sort()).toEqual(['BaseModels1763900200000', 'GenerationCleaned1763900500000', 'Init1763900000000', 'Records1763900100000', 'Registry1763900400000', 'Runs1763900300000']);
    } finally {
      for (const s of sources) if (s.isInitialized) await s.destroy();
      await db.drop();
    }
  });
});
