import { Logger } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import type { DataSource } from 'typeorm';
import { createMigratedTestDataSource, Run, RunEvent } from '@retort/db';
import { PermanentRunError } from '@retort/jobs';
import { onRunJobFailed, runJob } from '../src/run-failure';

/** What the worker does when a run's job fails, against a real Postgres. */
describe('a failed run job', () => {
  let db: { ds: DataSource; drop(): Promise<void> };
  let ds: DataSource;
  const log = new Logger('test');
  log.warn = () => undefined;

  beforeAll(async () => {
    db = await createMigratedTestDataSource();
    ds = db.ds;
  });
  afterAll(() => db.drop());

  async function pipeline(): Promise<Record<'pipeline' | 'generate' | 'train' | 'evaluate', Run>> {
    const repo = ds.getRepository(Run);
    const make = (kind: Run['kind'], status: Run['status'], parentId: string | null) => repo.save(repo.create({ kind, status, config: {}, progress: {}, parentId, error: null, worker: null, scheduleId: null }));
    const p = await make('pipeline', 'running', null);
    return { pipeline: p, generate: await make('generate', 'succeeded', p.id), train: await make('train', 'running', p.id), evaluate: await make('evaluate', 'queued', p.id) };
  }
  const job = (runId: string, attemptsMade: number) => ({ data: { runId }, attemptsMade, opts: { attempts: 3 } }) as unknown as Job;
  const status = async (r: Run) => (await ds.getRepository(Run).findOneByOrFail({ id: r.id })).status;

  it('leaves the run to its next attempt while attempts remain', async () => {
    const runs = await pipeline();
    await onRunJobFailed(ds, log, job(runs.train.id, 1), new Error('out of memory'));
    expect([await status(runs.pipeline), await status(runs.train), await status(runs.evaluate)]).toEqual(['running', 'running', 'queued']);
  });

  it('fails the run after its last attempt, with the error, and its pipeline and the steps after it', async () => {
    const runs = await pipeline();
    await onRunJobFailed(ds, log, job(runs.train.id, 3), new Error('out of memory'));
    const train = await ds.getRepository(Run).findOneByOrFail({ id: runs.train.id });
    expect(train).toMatchObject({ status: 'failed', error: 'out of memory', finishedAt: expect.any(Date) });
    expect(await ds.getRepository(Run).findOneByOrFail({ id: runs.pipeline.id })).toMatchObject({ status: 'failed', error: 'the train step failed: out of memory' });
    expect(await ds.getRepository(Run).findOneByOrFail({ id: runs.evaluate.id })).toMatchObject({ status: 'failed', error: 'not run: the train step failed' });
    expect(await status(runs.generate)).toBe('succeeded');
  });

  it('fails the run at once on an error that a retry would repeat', async () => {
    const runs = await pipeline();
    await onRunJobFailed(ds, log, job(runs.train.id, 1), new UnrecoverableError('nothing to train on'));
    expect(await ds.getRepository(Run).findOneByOrFail({ id: runs.train.id })).toMatchObject({ status: 'failed', error: 'nothing to train on' });
    await expect(runJob(async () => { throw new PermanentRunError('no'); })).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(runJob(async () => { throw new Error('flaky'); })).rejects.not.toBeInstanceOf(UnrecoverableError);
  });

  it("writes nothing more for a step already failed by the step before it (BullMQ's child-failed error)", async () => {
    const runs = await pipeline();
    await onRunJobFailed(ds, log, job(runs.train.id, 3), new Error('out of memory'));
    await onRunJobFailed(ds, log, job(runs.evaluate.id, 1), new UnrecoverableError('child bull:x:train:run-train-1 failed'));
    expect(await ds.getRepository(Run).findOneByOrFail({ id: runs.evaluate.id })).toMatchObject({ status: 'failed', error: 'not run: the train step failed' });
    const events = await ds.getRepository(RunEvent).findBy({ runId: runs.evaluate.id });
    expect(events.map((e) => e.data.message)).not.toContainEqual(expect.stringContaining('child'));
    expect(await ds.getRepository(Run).findOneByOrFail({ id: runs.pipeline.id })).toMatchObject({ error: 'the train step failed: out of memory' });
  });

  it('does not override a run cancelled meanwhile', async () => {
    const runs = await pipeline();
    await ds.getRepository(Run).update({ id: runs.train.id }, { status: 'cancelled' });
    await onRunJobFailed(ds, log, job(runs.train.id, 3), new Error('aborted'));
    expect(await status(runs.train)).toBe('cancelled');
  });
});
