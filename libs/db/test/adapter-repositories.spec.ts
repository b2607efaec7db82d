import type { DataSource } from 'typeorm';
import { createMigratedTestDataSource, Repositories, Run, type NewAdapterVersion } from '../src';

describe('adapter repositories (what training and evaluation write)', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  let db: Repositories;
  let baseModelId: string;

  beforeAll(async () => {
    ({ ds, drop } = await createMigratedTestDataSource());
    db = Repositories.of(ds);
    baseModelId = (await db.baseModels.create({ name: 'tiny', path: '/models/tiny', family: 'llama', config: {}, hasTokenizer: true })).id;
  });
  afterAll(() => drop());

  const trainingRun = async () => (await ds.getRepository(Run).save({ kind: 'train', status: 'running' })).id;
  const draft = (runId: string): NewAdapterVersion & { runId: string } => ({ artifactPrefix: `adapters/support/runs/${runId}/`, sha256: 'abc', config: { r: 8 }, metrics: { loss: 1 }, lineage: { run: runId }, runId });

  it('creates the adapter with its first version, numbers the next, and registers a run once', async () => {
    const [a, b] = [await trainingRun(), await trainingRun()];
    const v1 = await db.adapters.registerVersion({ name: 'support', baseModelId }, draft(a));
    const [v2, again] = await Promise.all([db.adapters.registerVersion({ name: 'support', baseModelId }, draft(b)), db.adapters.registerVersion({ name: 'support', baseModelId }, draft(a))]);
    expect([v1.version, v2.version, again.id]).toEqual([1, 2, v1.id]);
    expect(v2.adapterId).toBe(v1.adapterId);
    expect((await db.adapters.findByRef('support'))?.id).toBe(v1.adapterId);
    expect((await db.adapters.latestVersion(v1.adapterId))?.id).toBe(v2.id);
  });

  it('merges an evaluation into the metrics, keeps the gate, and knows the production version', async () => {
    const v = await db.adapters.registerVersion({ name: 'billing', baseModelId }, draft(await trainingRun()));
    await db.adapters.setEvaluation(v.id, { runId: 'r1', scores: { exact: 0.5 } });
    await db.adapters.setEvaluation(v.id, { runId: 'r2', scores: { exact: 0.75 } });
    await db.adapters.setGate(v.id, { passed: true });
    const stored = await db.adapters.findVersionById(v.id);
    expect(stored?.metrics).toEqual({ loss: 1, evaluation: { runId: 'r2', scores: { exact: 0.75 } } });
    expect(stored?.gate).toEqual({ passed: true });

    expect(await db.adapterStages.productionVersionId(v.adapterId)).toBeNull();
    await db.adapterStages.point(v.adapterId, 'production', v.id);
    expect(await db.adapterStages.productionVersionId(v.adapterId)).toBe(v.id);
  });
});
