import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { loadConfig, redisOptionsFromUrl } from '@retort/contracts';
import { lockOptions, takeoverBoundMs } from '../src/lock-options';

const busyFor = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};
const yieldToEventLoop = () => new Promise((r) => setImmediate(r));

describe('job lock timings', () => {
  it('by default a SIGKILLed worker\'s job is taken over within 30 s, and a synchronous stretch of up to 10 s keeps its lock', () => {
    const defaults = lockOptions(loadConfig({}));
    expect(takeoverBoundMs(defaults)).toBeLessThanOrEqual(25000);
    // BullMQ renews from a timer at least every half lock: that is the longest JavaScript may be busy.
    expect(defaults.lockDuration / 2).toBeGreaterThanOrEqual(10000);
    expect(defaults.stalledInterval).toBeLessThan(defaults.lockDuration);
  });

  describe('on Redis, with a 2 s lock', () => {
    const connection = { ...redisOptionsFromUrl(loadConfig().redisUrl), maxRetriesPerRequest: null };
    const prefix = `test-lock-${randomBytes(4).toString('hex')}`;
    const closers: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const close of closers.reverse()) await close();
    });

    /** Runs `work` as a job on worker A while worker B checks for stalled jobs every 300 ms; what happened once `done` says so. */
    async function race(queueName: string, work: () => Promise<void>, done: (seen: string[], state: string) => boolean): Promise<string[]> {
      const queue = new Queue(queueName, { connection, prefix });
      closers.push(() => queue.obliterate({ force: true }).then(() => queue.close()));
      const seen: string[] = [];
      const options = { connection, prefix, ...lockOptions(loadConfig({ RETORT_JOB_LOCK_MS: '2000' })), stalledInterval: 300 };
      const worker = (name: string) => {
        const w = new Worker(queueName, async () => { seen.push(`${name} started`); await work(); }, options);
        w.on('error', (err) => seen.push(`${name}: ${err.message}`));
        closers.push(() => w.close(true));
        return w;
      };
      const a = worker('A');
      const started = new Promise<void>((resolve) => a.once('active', () => resolve()));
      const job = await queue.add('step', {});
      await started;
      worker('B');
      const deadline = Date.now() + 20000;
      while (!done(seen, await job.getState()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return seen;
    }

    it('an 8 s job of asynchronous 0.8 s steps keeps its lock: no other worker takes it over', async () => {
      const seen = await race('async-steps', async () => {
        for (let i = 0; i < 10; i++) {
          busyFor(800);
          await yieldToEventLoop();
        }
      }, (_, state) => state === 'completed');
      expect(seen).toEqual(['A started']);
    }, 30000);

    it('a 3 s synchronous stretch loses the lock and the job is taken over (why a micro-batch must stay under half the lock)', async () => {
      const seen = await race('sync-step', async () => {
        busyFor(3000);
        await yieldToEventLoop();
      }, (seen) => seen.includes('B started') && seen.some((s) => /Missing lock/.test(s)));
      expect(seen).toContain('B started');
      expect(seen.some((s) => /Missing lock/.test(s))).toBe(true);
    }, 30000);
  });
});
