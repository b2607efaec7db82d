import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '@retort/contracts';

export async function redisAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  const client = new Redis({ ...redisOptionsFromUrl(url), lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Redis at REDIS_URL, or a local `redis-server` started for this session when none answers and
 * the URL points at this machine. Otherwise an error that says how to get one.
 */
export async function ensureRedis(url: string): Promise<{ child?: ChildProcess }> {
  if (await redisAnswers(url)) return {};
  const { host, port } = redisOptionsFromUrl(url);
  const local = ['127.0.0.1', 'localhost', '::1'].includes(host);
  const installed = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!local || !installed) {
    throw new Error(
      `no Redis answers at ${url}. ` +
        (local ? 'Install one (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and run npm start again, ' : '') +
        'or set REDIS_URL to a running Redis.',
    );
  }
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (await redisAnswers(url)) return { child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`started redis-server on port ${port} but it does not answer`);
}
