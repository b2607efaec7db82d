import type { DataSource } from 'typeorm';
import { createMigratedTestDataSource, Run, RunRepository } from '../src';

/** The guarded status changes a job makes on the runs table, against a real Postgres. */
describe('RunRepository.claim', () => {
  let db: { ds: DataSource; drop(): Promise<void> };
  let ds: DataSource;

  beforeAll(async () => {
    db = await createMigratedTestDataSource();
    ds = db.ds;
  });
  afterAll(() => db.drop());

  const makeRun = (status: Run['status']) =>
    ds.getRepository(Run).save(ds.getRepository(Run).create({ kind: 'generate', status, config: {}, progress: {}, parentId: null, error: null, worker: null, scheduleId: null }));

  it('marks a queued run running on this worker', async () => {
    const run = await makeRun('queued');
    expect(await new RunRepository(ds).claim(run.id, 'host:1')).toBe(true);
    expect(await ds.getRepository(Run).findOneByOrFail({ id: run.id })).toMatchObject({ status: 'running', worker: 'host:1', startedAt: expect.any(Date) });
  });

  it('leaves a run cancelled after the job read it cancelled, instead of resurrecting it', async () => {
    const run = await makeRun('queued');
    await ds.getRepository(Run).update({ id: run.id }, { status: 'cancelled' });
    expect(await new RunRepository(ds).claim(run.id, 'host:1')).toBe(false);
    expect(await ds.getRepository(Run).findOneByOrFail({ id: run.id })).toMatchObject({ status: 'cancelled', worker: null });
  });

  it('lets a redelivered job take over a running run', async () => {
    const run = await makeRun('running');
    expect(await new RunRepository(ds).claim(run.id, 'host:2')).toBe(true);
    expect((await ds.getRepository(Run).findOneByOrFail({ id: run.id })).worker).toBe('host:2');
  });
});

describe('RunRepository.dropMetricsAfter', () => {
  let db: { ds: DataSource; drop(): Promise<void> };
  beforeAll(async () => {
    db = await createMigratedTestDataSource();
  });
  afterAll(() => db.drop());

  it("deletes the run's metrics of steps after the checkpoint, keeping its messages, earlier steps and other runs' events", async () => {
    const runs = new RunRepository(db.ds);
    const [run, other] = [await runs.create({ kind: 'train', config: {} }), await runs.create({ kind: 'train', config: {} })];
    for (const step of [5, 10, 11, 12]) await runs.event(run.id, 'info', 'metrics', { step, loss: 1 });
    await runs.event(run.id, 'info', 'message', { message: 'at step 12' });
    await runs.event(other.id, 'info', 'metrics', { step: 12, loss: 1 });
    await runs.dropMetricsAfter(run.id, 10);
    expect((await runs.events(run.id)).map((e) => e.data.step ?? e.data.message)).toEqual([5, 10, 'at step 12']);
    expect((await runs.events(other.id)).map((e) => e.data.step)).toEqual([12]);
  });
});
