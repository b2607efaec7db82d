import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDataSource, RunRepository } from '@retort/db';
import { startTestStack, type TestStack } from '../../api/test/harness';
import { retort } from './run-retort';

/** No worker consumes this installation's queues: every CLI wait gives up with a message instead of waiting forever. */
describe('CLI waits time out', () => {
  let stack: TestStack;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    stack = await startTestStack();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-cli-wait-'));
    env = { RETORT_URL: stack.baseUrl, RETORT_TOKEN: stack.tokens.operator, RETORT_HOME: dir };
  });
  afterAll(async () => {
    await stack.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const line = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] });

  it('dataset push stops waiting for the import after --wait-timeout, saying what it waited for, and exits 1', async () => {
    const file = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(file, line + '\n');
    const started = Date.now();
    const { code, stderr } = await retort(['--wait-timeout', '2', 'dataset', 'push', file, '--name', 'pairs'], env);
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20000);
    expect(stderr).toMatch(/stopped waiting: dataset version [0-9a-f-]{36} is still being imported, unchanged for 2 s\. Is a worker running .* --wait-timeout SECONDS or RETORT_WAIT_TIMEOUT/);
  }, 30000);

  it('run status --watch of a run no worker takes stops after RETORT_WAIT_TIMEOUT; a bad value is named', async () => {
    const ds = await createDataSource(stack.config.databaseUrl!, { poolSize: 1 }).initialize();
    const { id } = await new RunRepository(ds).create({ kind: 'train', config: {} });
    await ds.destroy();
    const watched = await retort(['run', 'status', id, '--watch'], { ...env, RETORT_WAIT_TIMEOUT: '1.5' });
    expect(watched.code).toBe(1);
    expect(watched.stderr).toContain(`stopped waiting: run ${id} is still queued, unchanged for 1.5 s`);
    const bad = await retort(['run', 'status', id, '--watch'], { ...env, RETORT_WAIT_TIMEOUT: 'soon' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('RETORT_WAIT_TIMEOUT: must be a positive number of seconds (got "soon")');
  }, 30000);
});
