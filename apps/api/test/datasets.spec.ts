import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import request from 'supertest';
import { startTestStack, waitFor, type TestStack } from './harness';

const line = (u: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });
const GOOD = [line('Where is parcel 123?', 'It is in Leeds.'), line('Change my address', 'Done.'), JSON.stringify({ prompt: 'Cancel order 9' })].join('\n') + '\n';

function artifactFiles(stack: TestStack): string[] {
  const dir = stack.config.artifactsDir;
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

function allFiles(stack: TestStack): string[] {
  const dir = stack.config.artifactsDir;
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]) : [];
}

describe('datasets: upload → artifact → worker stats → api', () => {
  let stack: TestStack;
  let op: string;
  let datasetId: string;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true, env: { RETORT_MAX_UPLOAD_MB: '1' } });
    op = `Bearer ${stack.tokens.operator}`;
    const res = await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', op).send({ name: 'support', description: 'demo' });
    expect(res.status).toBe(201);
    datasetId = res.body.id;
  });
  afterAll(() => stack.close());

  it('stores a good upload, and the worker fills in its stats', async () => {
    const res = await request(stack.baseUrl)
      .post(`/api/v1/datasets/${datasetId}/versions`)
      .set('Authorization', op)
      .set('Content-Type', 'application/x-ndjson')
      .send(GOOD);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ datasetId, version: 1, status: 'processing', records: 3 });
    const ready = await waitFor(async () => {
      const v = await request(stack.baseUrl).get(`/api/v1/dataset-versions/${res.body.id}`).set('Authorization', op);
      return v.body.status === 'ready' && v.body;
    }, 20000, 'the stats job');
    expect(ready.stats).toEqual({ records: 3, turns: 3, messages: 5, roles: { user: 3, assistant: 2 }, chars: expect.any(Object), tags: {}, duplicates: { exact: 0 } });
    expect(ready.records).toBe(3);

    const exported = await request(stack.baseUrl).get(`/api/v1/dataset-versions/${res.body.id}/export`).set('Authorization', op).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(exported.status).toBe(200);
    expect(createHash('sha256').update(exported.body).digest('hex')).toBe(ready.sha256);
    expect(exported.body.length).toBe(ready.size);

    const list = await request(stack.baseUrl).get('/api/v1/datasets?sort=["name","ASC"]&range=[0,9]').set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect(list.headers['content-range']).toBe('datasets 0-0/1');
    expect(list.body[0]).toMatchObject({ name: 'support', latestVersion: { version: 1, status: 'ready', records: 3 } });
  });

  it('accepts a multipart upload as the next version', async () => {
    const res = await request(stack.baseUrl)
      .post(`/api/v1/datasets/${datasetId}/versions`)
      .set('Authorization', op)
      .attach('file', Buffer.from(GOOD), 'support.jsonl');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version: 2, lineage: { source: 'upload', filename: 'support.jsonl' } });
  });

  it('refuses a file with bad lines: every error named, no version, no artifact left behind', async () => {
    const before = artifactFiles(stack).length;
    const bad = [line('ok', 'fine'), '{"messages": [{"role": "bot", "content": "x"}]}', 'not json'].join('\n');
    const res = await request(stack.baseUrl).post(`/api/v1/datasets/${datasetId}/versions`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(bad);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.totalErrors).toBe(2);
    expect(res.body.errors).toEqual([
      { line: 2, path: 'messages[0].role', message: 'role must be one of system, user, assistant' },
      { line: 3, path: '', message: expect.stringMatching(/^invalid JSON/) },
    ]);
    const show = await request(stack.baseUrl).get(`/api/v1/datasets/${datasetId}`).set('Authorization', op);
    expect(show.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(artifactFiles(stack).length).toBe(before);
  });

  it('answers 413 for an upload over the size limit, and 415 for a wrong content type', async () => {
    const big = (line('x'.repeat(500), 'y') + '\n').repeat(3000); // ~1.6 MB > 1 MB limit
    const res = await request(stack.baseUrl).post(`/api/v1/datasets/${datasetId}/versions`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(big);
    expect(res.status).toBe(413);
    expect(res.body.detail).toMatch(/larger than the limit/);
    const wrong = await request(stack.baseUrl).post(`/api/v1/datasets/${datasetId}/versions`).set('Authorization', op).set('Content-Type', 'image/png').send('x');
    expect(wrong.status).toBe(415);
  });

  it('answers 400 to a truncated multipart body, keeps running, and leaves no partial file', async () => {
    const before = artifactFiles(stack).length;
    const body = '--bnd\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n\r\n{"messages":[]}\n';
    const res = await request(stack.baseUrl).post(`/api/v1/datasets/${datasetId}/versions`).set('Authorization', op).set('Content-Type', 'multipart/form-data; boundary=bnd').send(body);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/invalid multipart body: Unexpected end of form/);
    const show = await request(stack.baseUrl).get(`/api/v1/datasets/${datasetId}`).set('Authorization', op);
    expect(show.status).toBe(200);
    expect(show.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    expect(artifactFiles(stack).length).toBe(before);
  });

  it('cleans up after a client that aborts mid-upload', async () => {
    const before = artifactFiles(stack).length;
    const { port } = new URL(stack.baseUrl);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const head = [`POST /api/v1/datasets/${datasetId}/versions HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: ${op}`, 'Content-Type: application/x-ndjson', 'Content-Length: 100000', '', ''].join('\r\n');
    socket.write(head + (line('first', 'half') + '\n').repeat(20));
    // the artifact's partial file appears while the body streams in, and must go when the client does
    await waitFor(async () => allFiles(stack).some((f) => f.endsWith('.partial')), 10000, 'the partial artifact');
    socket.destroy();
    await waitFor(async () => !allFiles(stack).some((f) => f.endsWith('.partial')), 10000, 'the partial artifact to be removed');
    expect(artifactFiles(stack).length).toBe(before);
    const show = await request(stack.baseUrl).get(`/api/v1/datasets/${datasetId}`).set('Authorization', op);
    expect(show.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it('rejects a duplicate name with 409 and a bad name with a field error', async () => {
    const dup = await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', op).send({ name: 'support' });
    expect(dup.status).toBe(409);
    const bad = await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', op).send({ name: '../etc' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('name');
  });
});

describe('datasets list search', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
    for (const name of ['support-emea', 'support-apac', 'billing']) {
      await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', `Bearer ${stack.tokens.operator}`).send({ name }).expect(201);
    }
  });
  afterAll(() => stack.close());

  it('filters by a case-insensitive name fragment (the console search box), with % and _ taken literally', async () => {
    const get = (q: string) => request(stack.baseUrl).get(`/api/v1/datasets?filter=${encodeURIComponent(JSON.stringify({ q }))}&sort=["name","ASC"]`).set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect((await get('SUPPORT')).body.map((d: { name: string }) => d.name)).toEqual(['support-apac', 'support-emea']);
    expect((await get('%')).body).toEqual([]);
  });
});
