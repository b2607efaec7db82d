import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { JobName, jobOptions, QueueName, redisOptionsFromUrl, RUN_KIND } from '@retort/contracts';
import { startTestStack, waitFor, type TestStack } from '../../api/test/harness';

/**
 * Another installation on the same Redis and prefix queues jobs whose runs and data set versions
 * live in its own database: this installation's worker fails each at once with a message saying
 * so, instead of three attempts.
 */
describe("a worker given another installation's jobs", () => {
  let stack: TestStack;
  const queues: Queue[] = [];
  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
  });
  afterAll(async () => {
    for (const q of queues) await q.close();
    await stack.close();
  });

  const queue = (name: string) => {
    const q = new Queue(name, { connection: redisOptionsFromUrl(stack.config.redisUrl), prefix: stack.config.queuePrefix });
    queues.push(q);
    return q;
  };

  it.each([
    ['a dataset import', QueueName.datasets, JobName.datasetImport, { versionId: randomUUID() }, 'dataset version'],
    ['a dataset analysis', QueueName.datasets, JobName.datasetAnalyze, { versionId: randomUUID(), requestId: 'r1' }, 'dataset version'],
    ['a training run', RUN_KIND.train.job.queue, RUN_KIND.train.job.name, { runId: randomUUID() }, 'run'],
  ] as const)('%s fails on its first attempt, naming the other installation', async (_, queueName, name, payload, what) => {
    const id = 'versionId' in payload ? payload.versionId : payload.runId;
    const options = jobOptions(name, payload as never);
    expect(options.attempts).toBeGreaterThan(1);
    const job = await queue(queueName).add(name, payload, options);
    await waitFor(async () => (await job.getState()) === 'failed', 20000, `${name} to fail`);
    const failed = (await queue(queueName).getJob(job.id!))!;
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toBe(`${what} ${id} does not exist in this installation's database: the job was queued by another installation sharing this Redis and queue prefix (give each its own RETORT_QUEUE_PREFIX)`);
  });
});
