import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { startTestStack, waitFor, type TestStack } from './harness';

const chat = (u: string, a: string, tags?: string[]) =>
  JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }], ...(tags ? { tags } : {}) });

const LINES = [
  chat('Where is my parcel 48213? It was due on Monday.', 'Parcel 48213 is in the Leeds depot.', ['track']), // 0
  chat('Where is my parcel 48213? It was due on Monday.', 'Parcel 48213 is in the Leeds depot.', ['track']), // 1: exact duplicate of 0
  chat('Where is my parcel 48213?? It was due on Monday!', 'Parcel 48213 is in the Leeds depot.', ['track']), // 2: near duplicate
  chat('Please refund order 9917, write to jane.doe@example.com', 'The refund for 9917 is on its way.', ['refund']), // 3: PII
  chat('What are your opening hours on Saturday?', 'We are open 9:00 to 13:00 on Saturdays.', ['hours']), // 4
  chat('Can I change the delivery address for order 5521 to Bristol?', 'Order 5521 now goes to Bristol.', ['address']), // 5
];

describe('curation: records, bulk actions, dedup, PII, split, commit', () => {
  let stack: TestStack;
  let op: string;
  let datasetId: string;
  let versionId: string;
  const api = () => request(stack.baseUrl);

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    op = `Bearer ${stack.tokens.operator}`;
    datasetId = (await api().post('/api/v1/datasets').set('Authorization', op).send({ name: 'curate' })).body.id;
    const up = await api().post(`/api/v1/datasets/${datasetId}/versions?purpose=train`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(LINES.join('\n'));
    expect(up.status).toBe(201);
    versionId = up.body.id;
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${versionId}`).set('Authorization', op)).body.status === 'ready', 20000, 'import');
  });
  afterAll(() => stack.close());

  const records = async (filter: object = {}) => {
    const res = await api().get(`/api/v1/dataset-versions/${versionId}/records?filter=${encodeURIComponent(JSON.stringify(filter))}&range=[0,99]`).set('Authorization', op);
    expect(res.status).toBe(200);
    return res;
  };

  it('lists the imported records with filters by tag, text and length, in the simple-rest dialect', async () => {
    const all = await records();
    expect(all.headers['content-range']).toBe('records 0-5/6');
    expect(all.body.map((r: { idx: number }) => r.idx)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(all.body[0]).toMatchObject({ status: 'pending', tags: ['track'], edited: false });
    expect((await records({ tag: 'track' })).body).toHaveLength(3);
    expect((await records({ q: 'BRISTOL' })).body.map((r: { idx: number }) => r.idx)).toEqual([5]);
    expect((await records({ maxChars: 80 })).body.map((r: { idx: number }) => r.idx)).toEqual([4]);
    const bad = await api().get(`/api/v1/dataset-versions/${versionId}/records?filter=${encodeURIComponent('{"colour":"red"}')}`).set('Authorization', op);
    expect(bad.status).toBe(400);
  });

  it('accepts, rejects, tags and edits one record or every record matching a filter', async () => {
    const [first] = (await records({ q: 'opening hours' })).body;
    const edited = await api().patch(`/api/v1/records/${first.id}`).set('Authorization', op).send({ status: 'accepted', messages: [{ role: 'user', content: 'Opening hours on Saturday?' }, { role: 'assistant', content: 'Saturdays 9:00 to 13:00.' }] });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ status: 'accepted', edited: true });
    expect(edited.body.contentHash).not.toBe(first.contentHash);

    const bulk = await api().post(`/api/v1/dataset-versions/${versionId}/records/bulk`).set('Authorization', op).send({ filter: { q: 'order' }, addTags: ['orders'] });
    expect(bulk.body).toEqual({ updated: 2 });
    expect((await records({ tag: 'orders' })).body.map((r: { idx: number }) => r.idx)).toEqual([3, 5]);
    const removed = await api().post(`/api/v1/dataset-versions/${versionId}/records/bulk`).set('Authorization', op).send({ filter: { tag: 'orders' }, removeTags: ['orders'], status: 'accepted' });
    expect(removed.body).toEqual({ updated: 2 });
    expect((await records({ status: 'accepted' })).body.map((r: { idx: number; tags: string[] }) => [r.idx, r.tags])).toEqual([[3, ['refund']], [4, ['hours']], [5, ['address']]]);

    const viewer = await api().patch(`/api/v1/records/${first.id}`).set('Authorization', `Bearer ${stack.tokens.viewer}`).send({ status: 'rejected' });
    expect(viewer.status).toBe(403);
  });

  it('finds exact and near duplicate clusters and scrubs PII on the worker', async () => {
    const started = await api().post(`/api/v1/dataset-versions/${versionId}/analyze`).set('Authorization', op).send({ dedup: { threshold: 0.7 }, pii: true });
    expect(started.status).toBe(202);
    const analysis = await waitFor(async () => {
      const v = (await api().get(`/api/v1/dataset-versions/${versionId}`).set('Authorization', op)).body;
      return v.analysis.dedup?.status === 'done' && v.analysis.pii?.status === 'done' && v.analysis;
    }, 20000, 'analysis');
    const ids = (await records()).body.map((r: { id: string }) => r.id);
    expect(analysis.dedup.exact.listed).toEqual([[ids[0], ids[1]]]);
    expect(analysis.dedup.near.listed).toEqual([[ids[0], ids[1], ids[2]]]);
    expect(analysis.pii).toMatchObject({ counts: { email: 1, phone: 0, card: 0 }, recordsChanged: 1 });
    const [scrubbed] = (await records({ q: 'refund order' })).body;
    expect(scrubbed.messages[0].content).toBe('Please refund order 9917, write to [EMAIL]');

    const rejected = await api().post(`/api/v1/dataset-versions/${versionId}/reject-duplicates`).set('Authorization', op).send({ kind: 'near' });
    expect(rejected.body).toEqual({ updated: 2 });
    expect((await records({ status: 'rejected' })).body.map((r: { idx: number }) => r.idx)).toEqual([1, 2]);
  });

  it('splits the kept records with a seed, the same way every time', async () => {
    const first = await api().post(`/api/v1/dataset-versions/${versionId}/split`).set('Authorization', op).send({ evalFraction: 0.25, seed: 7 });
    expect(first.body).toEqual({ train: 3, eval: 1 });
    const tagsOf = async () => (await records()).body.map((r: { tags: string[] }) => r.tags.filter((t) => t.startsWith('split:')));
    const once = await tagsOf();
    await api().post(`/api/v1/dataset-versions/${versionId}/split`).set('Authorization', op).send({ evalFraction: 0.25, seed: 7 });
    expect(await tagsOf()).toEqual(once);
    expect(once[1]).toEqual([]); // rejected records are not split
  });

  it('commits the curation as a new version with lineage, and exports exactly its bytes', async () => {
    const res = await api().post(`/api/v1/datasets/${datasetId}/versions`).set('Authorization', op).send({ from: versionId, tag: 'split:train' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version: 2, records: 3, lineage: { source: 'curation', from: versionId } });
    expect(res.body.lineage.ops.map((o: { action: string }) => o.action)).toEqual(
      expect.arrayContaining(['record.update', 'record.bulk', 'dataset.analyze', 'record.reject-duplicates', 'record.split', 'commit']),
    );
    await waitFor(async () => (await api().get(`/api/v1/dataset-versions/${res.body.id}`).set('Authorization', op)).body.status === 'ready', 20000, 'import of v2');
    const exported = await api().get(`/api/v1/dataset-versions/${res.body.id}/export`).set('Authorization', op).buffer(true).parse((r, cb) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => cb(null, text));
    });
    const lines = (exported.body as string).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(JSON.stringify(lines)).not.toContain('jane.doe@example.com');
    expect(lines.every((l: { tags: string[] }) => l.tags.includes('split:train'))).toBe(true);
  });

  it('validates uploads against the declared purpose and format', async () => {
    const noAnswer = JSON.stringify({ messages: [{ role: 'user', content: 'hello?' }] });
    const train = await api().post(`/api/v1/datasets/${datasetId}/versions?purpose=train`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(noAnswer);
    expect(train.status).toBe(422);
    expect(train.body.errors[0]).toMatchObject({ line: 1 });
    expect(train.body.errors[0].message).toMatch(/assistant/);
    const alpaca = JSON.stringify({ instruction: 'Track parcel 1', input: '', output: 'In Leeds.' });
    const ok = await api().post(`/api/v1/datasets/${datasetId}/versions?format=alpaca`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(alpaca);
    expect(ok.status).toBe(201);
    expect(ok.body.format).toBe('alpaca');
    const badQuery = await api().post(`/api/v1/datasets/${datasetId}/versions?format=csv`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(alpaca);
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.errors[0].path).toBe('format');
  });
});

describe('curation of the demo data set (datasets/demo-support)', () => {
  let stack: TestStack;
  afterAll(() => stack.close());

  it('finds the planted duplicates and PII', async () => {
    stack = await startTestStack({ worker: true });
    const op = `Bearer ${stack.tokens.operator}`;
    const file = fs.readFileSync(path.resolve(__dirname, '../../../datasets/demo-support/train.jsonl'));
    const ds = (await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', op).send({ name: 'demo-support' })).body;
    const up = await request(stack.baseUrl).post(`/api/v1/datasets/${ds.id}/versions?purpose=train`).set('Authorization', op).set('Content-Type', 'application/x-ndjson').send(file);
    expect(up.status).toBe(201);
    expect(up.body.records).toBe(600);
    await waitFor(async () => (await request(stack.baseUrl).get(`/api/v1/dataset-versions/${up.body.id}`).set('Authorization', op)).body.status === 'ready', 30000, 'import');
    await request(stack.baseUrl).post(`/api/v1/dataset-versions/${up.body.id}/analyze`).set('Authorization', op).send({ dedup: { threshold: 0.8 }, pii: true }).expect(202);
    const analysis = await waitFor(async () => {
      const v = (await request(stack.baseUrl).get(`/api/v1/dataset-versions/${up.body.id}`).set('Authorization', op)).body;
      return v.analysis.dedup?.status === 'done' && v.analysis.pii?.status === 'done' && v.analysis;
    }, 30000, 'analysis');
    expect(analysis.dedup.exact).toMatchObject({ clusters: 8, duplicates: 8 });
    expect(analysis.dedup.near).toMatchObject({ clusters: 27, duplicates: 31 });
    expect(analysis.pii).toMatchObject({ counts: { email: 3, phone: 6, card: 3 }, recordsChanged: 12 });
  });
});
