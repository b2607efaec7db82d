import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// s3rver ships no type declarations; this is the part of it the tests use.
interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  on(event: 'event', listener: (e: { Records: { eventName: string; s3: { object: { key: string } } }[] }) => void): void;
}
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverInstance;

export interface RunningS3rver {
  port: number;
  /** s3rver's fixed credentials. */
  accessKey: string;
  secretKey: string;
  /** S3 notifications seen so far, e.g. ObjectCreated:Put for a single PUT, ObjectCreated:Post for a completed multipart upload. */
  events: { name: string; key: string }[];
  stop(): Promise<void>;
}

/** A real S3-protocol server on 127.0.0.1, a free port, and its own temp directory. */
export async function startS3rver(opts: { buckets?: string[] } = {}): Promise<RunningS3rver> {
  const directory = await mkdtemp(join(tmpdir(), 'retort-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
  });
  const events: RunningS3rver['events'] = [];
  server.on('event', (e) => events.push(...e.Records.map((r) => ({ name: r.eventName, key: r.s3.object.key }))));
  const { port } = await server.run();
  let stopped = false;
  return {
    port,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    events,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
