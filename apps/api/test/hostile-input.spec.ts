import request from 'supertest';
import { startTestStack, type TestStack } from './harness';

type Operation = { operationId: string; parameters?: { name: string; in: string }[]; requestBody?: unknown };

/** Routes that answer a stream or a file: probed like the others, but not read to the end. */
const STREAMS = ['RunsController_stream'];

/** Refs that are not ids (36 characters of hex and dashes among them), unknown ids, odd bytes. */
const BAD_REFS = ['0'.repeat(36), '-'.repeat(36), 'abcdef01-abcd-abcd-abcd-abcdef01234', 'x', 'a'.repeat(2000), '%00', '%E2%28%A1', '00000000-0000-4000-8000-000000000000', '..%2F..%2Fetc'];

/** Query strings the list and event routes take, each of them wrong. */
const BAD_QUERIES = [
  'after=9223372036854775808',
  'after=-1',
  'after=1e400',
  'range=[0,1e30]',
  'range=[-5,2]',
  'range={"a":1}',
  'sort=["nope","ASC"]',
  'sort=5',
  'filter={"datasetId":"x"}',
  'filter={"unknownField":1}',
  'filter={"status":{"$gt":""}}',
  'filter={"id":[1,null,{}]}',
  'filter=[1]',
  'filter=%00',
];

/** Bodies of every wrong shape. */
const BAD_BODIES: unknown[] = [{}, [], 'text', 7, null, { name: 5, id: [], kind: {}, version: 'x', steps: -1, cron: 'a b c' }, { name: 'x'.repeat(100_000) }, { name: '\u0000', tags: ['\ud800'] }];

/**
 * Every operation of the OpenAPI document, called with hostile path parameters, query strings
 * and bodies: none may answer 5xx, and the api must still be up at the end.
 */
describe('hostile input to every operation', () => {
  let stack: TestStack;
  let operations: { method: string; path: string; op: Operation }[];
  const admin = () => `Bearer ${stack.tokens.admin}`;

  beforeAll(async () => {
    stack = await startTestStack();
    const doc = (await request(stack.baseUrl).get('/docs/openapi.json').expect(200)).body as { paths: Record<string, Record<string, Operation>> };
    operations = Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).map(([method, op]) => ({ method, path: p, op })));
  });
  afterAll(() => stack.close());

  async function call(method: string, url: string, body?: unknown, operationId = ''): Promise<number> {
    let req = (request(stack.baseUrl) as unknown as Record<string, (u: string) => request.Test>)[method](url).set('Authorization', admin()).timeout({ response: 10_000 });
    if (STREAMS.includes(operationId)) req = req.buffer(false).parse((res, done) => {
      (res as unknown as { destroy(): void }).destroy();
      done(null, null);
    });
    if (body !== undefined) req = req.set('Content-Type', 'application/json').send(JSON.stringify(body));
    try {
      return (await req).status;
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status) return status;
      throw new Error(`${method.toUpperCase()} ${url}: ${(err as Error).message}`);
    }
  }

  const withRefs = (p: string, ref: string) => p.replace(/\{[^}]+\}/g, ref);

  it('answers no path parameter, query or body with a 5xx', async () => {
    const fiveHundreds: string[] = [];
    for (const { method, path: p, op } of operations) {
      const refs = p.includes('{') ? BAD_REFS : ['-'];
      for (const ref of refs) {
        const url = withRefs(p, ref);
        const bodies = op.requestBody ? BAD_BODIES : [undefined];
        for (const body of bodies) {
          const status = await call(method, url, body, op.operationId);
          if (status >= 500) fiveHundreds.push(`${status} ${method.toUpperCase()} ${url} ${JSON.stringify(body)?.slice(0, 80) ?? ''}`);
        }
      }
      if (method === 'get') {
        for (const query of BAD_QUERIES) {
          const url = `${withRefs(p, '00000000-0000-4000-8000-000000000000')}?${query}`;
          const status = await call(method, url, undefined, op.operationId);
          if (status >= 500) fiveHundreds.push(`${status} GET ${url}`);
        }
      }
    }
    expect(fiveHundreds).toEqual([]);
    await request(stack.baseUrl).get('/healthz').expect(200);
  }, 240_000);

  it('looks a 36-character ref that is not a uuid up as a name', async () => {
    const name = '0123456789abcdef-0123456789abcdef-01';
    expect(name).toHaveLength(36);
    await request(stack.baseUrl).post('/api/v1/endpoints').set('Authorization', admin()).send({ name, purpose: 'teacher', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }).expect(201);
    const res = await request(stack.baseUrl).post('/api/v1/runs').set('Authorization', admin()).send({ kind: 'generate', teacher: name, datasetVersion: '00000000-0000-4000-8000-000000000000', outputDataset: 'out' });
    // The teacher was found by its name; the unknown version is what is refused.
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'datasetVersion', message: 'unknown dataset version' }]);
  });

  it('refuses event cursors beyond bigint, unknown filter fields and filter values of the wrong type, naming the field', async () => {
    const run = '00000000-0000-4000-8000-000000000000';
    const events = await request(stack.baseUrl).get(`/api/v1/runs/${run}/events?after=9223372036854775808`).set('Authorization', admin());
    expect(events.status).toBe(400);
    expect(events.type).toBe('application/problem+json');
    expect(events.body.errors).toEqual([{ path: 'after', message: 'must be a whole number from 0 to 9223372036854775807' }]);

    const wrongType = await request(stack.baseUrl).get('/api/v1/dataset-versions').set('Authorization', admin()).query({ filter: JSON.stringify({ datasetId: 'x' }) });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors).toEqual([{ path: 'filter.datasetId', message: 'must be a uuid' }]);
    const unknown = await request(stack.baseUrl).get('/api/v1/datasets').set('Authorization', admin()).query({ filter: JSON.stringify({ owner: 'me' }) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: 'filter.owner', message: expect.stringMatching(/unrecognized key/i) }]);
    const records = await request(stack.baseUrl).get(`/api/v1/dataset-versions/${run}/records`).set('Authorization', admin()).query({ filter: JSON.stringify({ id: ['99999999999999999999'] }) });
    expect(records.status).toBe(400);
    expect(records.body.errors[0].path).toBe('filter.id.0');
  });

  it('answers a JSON body over the limit with 413 and a body that is not JSON with 400, as problems', async () => {
    const big = JSON.stringify({ name: 'big', description: 'x'.repeat(11 * 1024 * 1024) });
    const tooLarge = await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', admin()).set('Content-Type', 'application/json').send(big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.type).toBe('application/problem+json');
    expect(tooLarge.body.detail).toBe('the request body is larger than the limit of 10485760 bytes');
    const broken = await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', admin()).set('Content-Type', 'application/json').send('{"name":');
    expect(broken.status).toBe(400);
    expect(broken.type).toBe('application/problem+json');
  });

  it('refuses NUL and unpaired surrogates in bodies and uploads, naming the field and line', async () => {
    const body = await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', admin()).set('Content-Type', 'application/json').send('{"name":"nul","description":"a\\u0000b"}');
    expect(body.status).toBe(400);
    expect(body.body.errors).toEqual([{ path: 'description', message: 'contains a NUL character at character 2, which cannot be stored' }]);
    const ds = (await request(stack.baseUrl).post('/api/v1/datasets').set('Authorization', admin()).send({ name: 'surrogates' })).body;
    const upload = await request(stack.baseUrl)
      .post(`/api/v1/datasets/${ds.id}/versions`)
      .set('Authorization', admin())
      .set('Content-Type', 'application/x-ndjson')
      .send('{"messages":[{"role":"user","content":"ok"}]}\n{"messages":[{"role":"user","content":"\\ud800"}]}\n');
    expect(upload.status).toBe(422);
    expect(upload.body.errors).toEqual([{ line: 2, path: 'messages[0].content', message: 'contains an unpaired UTF-16 surrogate at character 1, which cannot be stored' }]);
  });
});
