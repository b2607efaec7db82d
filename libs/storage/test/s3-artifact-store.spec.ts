import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import { S3ArtifactStore, type S3ArtifactStoreOptions } from '../src';
import { artifactStoreContract } from './store-contract';
import { startS3rver, type RunningS3rver } from './s3rver';
import { pseudoRandomBytes, sha256, streamOf } from './test-data';

const MiB = 1024 * 1024;
const BUCKET = 'retort-artifacts';

function optionsFor(server: RunningS3rver, spoolDir: string): S3ArtifactStoreOptions {
  return {
    endPoint: '127.0.0.1',
    port: server.port,
    useSSL: false,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    bucket: BUCKET,
    region: 'us-east-1',
    pathStyle: true,
    // The smallest part S3 allows, so multi-megabyte test bodies take the multipart path.
    partSize: 5 * MiB,
    spoolDir,
  };
}

describe('S3ArtifactStore (against s3rver)', () => {
  let server: RunningS3rver;
  let spoolDir: string;
  let store: S3ArtifactStore;

  beforeAll(async () => {
    server = await startS3rver();
    spoolDir = await mkdtemp(join(tmpdir(), 'retort-spool-'));
    store = new S3ArtifactStore(optionsFor(server, spoolDir));
    await store.ensureReady();
  });
  afterAll(async () => {
    await server.stop();
    await rm(spoolDir, { recursive: true, force: true });
  });

  describe('contract', () => {
    artifactStoreContract({ store: () => store, leftovers: () => readdir(spoolDir) });
  });

  it('records sha256 and content type as object metadata', async () => {
    const body = '{"messages":[]}\n';
    await store.put('meta/data.jsonl', body, { contentType: 'application/x-ndjson' });
    const raw = new Client({ endPoint: '127.0.0.1', port: server.port, useSSL: false, accessKey: server.accessKey, secretKey: server.secretKey });
    const stat = await raw.statObject(BUCKET, 'meta/data.jsonl');
    expect(stat.metaData).toMatchObject({ sha256: sha256(body), 'content-type': 'application/x-ndjson' });
    expect(await store.stat('meta/data.jsonl')).toEqual({ size: body.length, sha256: sha256(body) });
  });

  it('uploads a body larger than a part as a multipart upload', async () => {
    const data = pseudoRandomBytes(11 * MiB, 3);
    await store.put('multipart/blob', streamOf(data));
    await store.put('multipart/small', 'fits in one part');
    expect(server.events.filter((e) => e.key.startsWith('multipart/'))).toEqual([
      { name: 'ObjectCreated:Post', key: 'multipart/blob' },
      { name: 'ObjectCreated:Put', key: 'multipart/small' },
    ]);
    expect(await store.stat('multipart/blob')).toEqual({ size: data.length, sha256: sha256(data) });
    expect(sha256(await store.getBuffer('multipart/blob'))).toBe(sha256(data));
  });

  it('names objects with s3://bucket/key URIs', () => {
    expect(store.uri('adapters/support-bot/3/adapter_model.safetensors')).toBe(`s3://${BUCKET}/adapters/support-bot/3/adapter_model.safetensors`);
  });

  it('ensureReady() creates a missing bucket, and check() fails until it does', async () => {
    const fresh = new S3ArtifactStore({ ...optionsFor(server, spoolDir), bucket: 'not-created-yet' });
    await expect(fresh.check()).rejects.toThrow('S3 bucket "not-created-yet" does not exist');
    await fresh.ensureReady();
    await fresh.ensureReady();
    await expect(fresh.check()).resolves.toBeUndefined();
  });
});

describe('S3ArtifactStore when the server goes away', () => {
  let server: RunningS3rver;
  let spoolDir: string;

  beforeAll(async () => {
    server = await startS3rver({ buckets: [BUCKET] });
    spoolDir = await mkdtemp(join(tmpdir(), 'retort-spool-'));
  });
  afterAll(async () => {
    await server.stop();
    await rm(spoolDir, { recursive: true, force: true });
  });

  it('check() and put() fail once the server has stopped, leaving no spool file', async () => {
    const store = new S3ArtifactStore(optionsFor(server, spoolDir));
    await expect(store.check()).resolves.toBeUndefined();
    await server.stop();
    await expect(store.check()).rejects.toThrow(/ECONNREFUSED/);
    await expect(store.put('after-stop', streamOf(pseudoRandomBytes(MiB)))).rejects.toThrow(/ECONNREFUSED/);
    expect(await readdir(spoolDir)).toEqual([]);
  });
});

describe('S3ArtifactStore.check() against a server that never answers', () => {
  let silent: Server;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('gives up after checkTimeoutMs', async () => {
    const port = (silent.address() as { port: number }).port;
    const store = new S3ArtifactStore({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: 'k', secretKey: 's', bucket: BUCKET, checkTimeoutMs: 200 });
    await expect(store.check()).rejects.toThrow('S3 did not answer within 200 ms');
  });
});
