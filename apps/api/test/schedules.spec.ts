import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/main';
import { seedPipelineInputs, startTestStack, waitFor, type TestStack } from './harness';

/** Schedules on BullMQ job schedulers: one record per tick however many api processes consume them. */
describe('schedules', () => {
  let stack: TestStack;
  let second: Awaited<ReturnType<typeof createApiApp>>;
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-schedule-model-'));
  const api = () => request(stack.baseUrl);
  const op = () => `Bearer ${stack.tokens.operator}`;
  const template = { dataset: 'prompts', evalDataset: 'held-out', teacher: 'teacher', student: 'student', adapter: 'monthly' };

  beforeAll(async () => {
    stack = await startTestStack();
    // A second api process on the same database and queues, consuming schedule ticks too.
    second = await createApiApp(stack.config);
    await seedPipelineInputs(stack, modelDir);
  });
  afterAll(async () => {
    await second.app.close();
    await stack.close();
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('validates cron and time zone, defaults to monthly, and lists the next fire times', async () => {
    const bad = await api().post('/api/v1/schedules').set('Authorization', op()).send({ name: 'x', cron: 'every day', timezone: 'Mars/Olympus', template });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['timezone']);
    const monthly = await api().post('/api/v1/schedules').set('Authorization', op()).send({ name: 'monthly', timezone: 'Europe/Berlin', template, enabled: false });
    expect(monthly.body).toMatchObject({ cron: '0 3 1 * *', timezone: 'Europe/Berlin', enabled: false });
    await api().patch('/api/v1/schedules/monthly').set('Authorization', op()).send({ enabled: true }).expect(200);
    const show = (await api().get('/api/v1/schedules/monthly').set('Authorization', op())).body;
    expect(show.nextFireTimes).toHaveLength(5);
    for (const t of show.nextFireTimes) {
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(t));
      expect(local).toBe('01, 03:00');
    }
    await api().delete('/api/v1/schedules/monthly').set('Authorization', op()).expect(204);
  });

  it('fires exactly once per tick with two api processes, and skips a tick while the previous run is going', async () => {
    const created = await api().post('/api/v1/schedules').set('Authorization', op()).send({ name: 'fast', cron: '*/2 * * * * *', template });
    expect(created.status).toBe(201);
    const ds = stack.app.get(DataSource);
    await waitFor(async () => (await ds.query('SELECT count(*)::int AS n FROM schedule_fire WHERE schedule_id = $1', [created.body.id]))[0].n >= 3, 20000, 'three ticks');
    await api().patch('/api/v1/schedules/fast').set('Authorization', op()).send({ enabled: false }).expect(200);
    await new Promise((r) => setTimeout(r, 2500));
    const fires: { tick: Date; run_id: string | null; skipped: string | null }[] = await ds.query('SELECT tick, run_id, skipped FROM schedule_fire WHERE schedule_id = $1 ORDER BY tick', [created.body.id]);
    const ticks = fires.map((f) => new Date(f.tick).getTime());
    expect(new Set(ticks).size).toBe(ticks.length);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i] - ticks[i - 1]).toBe(2000);
    // The first tick starts a pipeline; with no worker it stays queued, so the later ticks are skipped.
    expect(fires[0].run_id).toBeTruthy();
    for (const f of fires.slice(1)) expect(f.skipped).toBe(`the previous run ${fires[0].run_id} is still queued`);
    const runs = await ds.query(`SELECT count(*)::int AS n FROM run WHERE schedule_id = $1 AND kind = 'pipeline'`, [created.body.id]);
    expect(runs[0].n).toBe(1);

    const show = (await api().get('/api/v1/schedules/fast').set('Authorization', op())).body;
    expect(show.enabled).toBe(false);
    expect(show.nextFireTimes).toEqual([]);
    expect(show.fires[show.fires.length - 1]).toMatchObject({ runStatus: 'queued' });
  });

  it('triggers now, recording the skip reason', async () => {
    await api().post('/api/v1/schedules/fast/trigger').set('Authorization', op()).expect(202);
    const ds = stack.app.get(DataSource);
    const fire = await waitFor(async () => (await ds.query(`SELECT f.skipped FROM schedule_fire f JOIN schedule s ON s.id = f.schedule_id WHERE s.name = 'fast' AND (f.skipped IS NOT NULL OR f.run_id IS NOT NULL) ORDER BY f.at DESC LIMIT 1`))[0], 10000, 'the manual tick');
    expect(fire.skipped).toMatch(/is still queued/);
  });

  it('is scriptable: retort schedule add, ls, pause', async () => {
    const bin = path.resolve(__dirname, '../../cli/bin/retort.js');
    const env = { ...process.env, RETORT_URL: stack.baseUrl, RETORT_TOKEN: stack.tokens.operator };
    const run = async (...args: string[]) => (await promisify(execFile)(process.execPath, [bin, ...args], { env, timeout: 60000 })).stdout;
    const added = JSON.parse(await run('--json', 'schedule', 'add', 'cli-monthly', '--dataset', 'prompts', '--eval-dataset', 'held-out', '--teacher', 'teacher', '--student', 'student', '--adapter', 'monthly', '--min-loss-improvement', '2', '--auto-promote'));
    expect(added).toMatchObject({ cron: '0 3 1 * *', autoPromote: true, gate: { minLossImprovementPct: 2 } });
    expect(added.nextFireTimes).toHaveLength(5);
    await run('schedule', 'pause', 'cli-monthly');
    expect(await run('schedule', 'ls')).toMatch(/^cli-monthly\s+0 3 1 \* \*\s+UTC\s+paused\s+yes/m);
  });
});
