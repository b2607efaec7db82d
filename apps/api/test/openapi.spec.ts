import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import { z } from 'zod';
import {
  BaseModelResponseSchema,
  CreatedTokenResponseSchema,
  DatasetDetailResponseSchema,
  DatasetResponseSchema,
  DatasetSummaryResponseSchema,
  DatasetVersionResponseSchema,
  EndpointResponseSchema,
  PrincipalResponseSchema,
  RecordResponseSchema,
  RunEventResponseSchema,
  RunResponseSchema,
  ScheduleDetailResponseSchema,
  ScheduleResponseSchema,
  TokenResponseSchema,
  WorkersResponseSchema,
} from '@retort/contracts';
import { startTestStack, uploadVersion, type TestStack } from './harness';

type Operation = { operationId: string; requestBody?: { content: Record<string, { schema?: Record<string, unknown> }> }; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };
type Document = { paths: Record<string, Record<string, Operation>> };

/** Routes whose answer is not one JSON document: files, an event stream, Prometheus text. */
const NOT_JSON = ['DatasetsController_export', 'AdaptersController_download', 'RunsController_stream', 'MetricsController_scrape'];

/** A schema that says something: fields, or the alternatives of a union. */
const describesFields = (schema: Record<string, unknown> | undefined) => Boolean(schema && (schema.properties || schema.oneOf || schema.anyOf));

describe('OpenAPI document: bodies and answers from the contracts schemas', () => {
  let stack: TestStack;
  let doc: Document;
  let operations: Map<string, { method: string; path: string; op: Operation }>;
  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    doc = (await request(stack.baseUrl).get('/docs/openapi.json').expect(200)).body;
    operations = new Map();
    for (const [p, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) operations.set(op.operationId, { method, path: p, op });
  });
  afterAll(() => stack.close());

  /** Every handler of the running api that reads a @Body() (as @ZodBody does), as its operationId. */
  function handlersTakingABody(): string[] {
    const found: string[] = [];
    for (const mod of stack.app.get(ModulesContainer).values()) {
      for (const { metatype } of mod.controllers.values()) {
        const controller = metatype as { name: string; prototype: Record<string, unknown> };
        for (const name of Object.getOwnPropertyNames(controller.prototype)) {
          const handler = controller.prototype[name];
          if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
          const args: Record<string, unknown> = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {};
          if (Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.BODY))) found.push(`${controller.name}_${name}`);
        }
      }
    }
    return found.sort();
  }

  it('documents the JSON body of every handler that reads one, with its fields', () => {
    const handlers = handlersTakingABody();
    expect(handlers.length).toBeGreaterThanOrEqual(16);
    const undocumented = handlers.filter((id) => !describesFields(operations.get(id)?.op.requestBody?.content['application/json']?.schema));
    expect(undocumented).toEqual([]);
  });

  it('gives every documented request body a schema with fields', () => {
    const bodies = [...operations.values()].filter((o) => o.op.requestBody);
    expect(bodies.map((o) => o.method).every((m) => ['post', 'put', 'patch'].includes(m))).toBe(true);
    const empty = bodies.flatMap((o) => Object.entries(o.op.requestBody!.content).filter(([, c]) => !c.schema).map(([type]) => `${o.op.operationId} ${type}`));
    expect(empty).toEqual([]);
    // The upload route takes the JSONL file itself, or a curation commit as JSON.
    expect(Object.keys(operations.get('DatasetsController_createVersion')!.op.requestBody!.content).sort()).toEqual(['application/json', 'application/x-ndjson', 'multipart/form-data']);
  });

  it('documents a JSON answer schema for every /api/v1 operation that answers JSON', () => {
    const missing = [...operations.values()]
      .filter((o) => o.path.startsWith('/api/v1/') && !NOT_JSON.includes(o.op.operationId))
      .filter((o) => !Object.entries(o.op.responses).some(([status, r]) => status === '204' || r.content?.['application/json']?.schema))
      .map((o) => o.op.operationId);
    expect(missing).toEqual([]);
    const lists = ['datasets', 'dataset-versions', 'models', 'runs', 'endpoints', 'adapters', 'schedules', 'tokens', 'audit'];
    for (const resource of lists) expect({ resource, schema: doc.paths[`/api/v1/${resource}`].get.responses['200'].content?.['application/json']?.schema }).toMatchObject({ resource, schema: { type: 'array' } });
  });

  it('still answers a bad id before a bad body, as when handlers parsed their bodies themselves', async () => {
    const res = await request(stack.baseUrl).post('/api/v1/dataset-versions/not-an-id/split').set('Authorization', `Bearer ${stack.tokens.operator}`).send({ unknown: 1 });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('Validation failed (uuid is expected)');
    const body = await request(stack.baseUrl).post(`/api/v1/dataset-versions/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/split`).set('Authorization', `Bearer ${stack.tokens.operator}`).send({ unknown: 1 });
    expect(body.body).toMatchObject({ status: 400, detail: 'the request body is invalid', errors: expect.arrayContaining([{ path: 'evalFraction', message: expect.any(String) }]) });
  });

  /** The answer, after checking that its status is the one documented for the operation. */
  function documented(operationId: string, res: request.Response): unknown {
    const statuses = Object.keys(operations.get(operationId)!.op.responses);
    expect({ operationId, status: res.status, documented: statuses.includes(String(res.status)) }).toEqual({ operationId, status: res.status, documented: true });
    return res.body;
  }

  /** Parses an answer with its response schema: a field the schema lacks, or a wrong type, fails. */
  function matches(schema: z.ZodType, body: unknown): void {
    const parsed = schema.safeParse(body);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  }

  it('describes what the main resources really answer', async () => {
    const admin = `Bearer ${stack.tokens.admin}`;
    const api = () => request(stack.baseUrl);
    matches(PrincipalResponseSchema, documented('TokensController_me', await api().get('/api/v1/me').set('Authorization', admin)));
    matches(CreatedTokenResponseSchema, documented('TokensController_create', await api().post('/api/v1/tokens').set('Authorization', admin).send({ name: 'ci', role: 'viewer' })));
    matches(z.array(TokenResponseSchema), documented('TokensController_list', await api().get('/api/v1/tokens').set('Authorization', admin)));

    const versionId = await uploadVersion(stack, 'support', [
      { messages: [{ role: 'user', content: 'Where is my parcel?' }, { role: 'assistant', content: 'On its way.' }] },
      { messages: [{ role: 'user', content: 'Cancel my order.' }, { role: 'assistant', content: 'Done.' }] },
    ]);
    const version = documented('DatasetsController_showVersion', await api().get(`/api/v1/dataset-versions/${versionId}`).set('Authorization', admin));
    matches(DatasetVersionResponseSchema, version);
    const datasetId = (version as { datasetId: string }).datasetId;
    matches(DatasetDetailResponseSchema, documented('DatasetsController_show', await api().get(`/api/v1/datasets/${datasetId}`).set('Authorization', admin)));
    matches(z.array(DatasetSummaryResponseSchema), documented('DatasetsController_list', await api().get('/api/v1/datasets').set('Authorization', admin)));
    matches(DatasetResponseSchema, documented('DatasetsController_create', await api().post('/api/v1/datasets').set('Authorization', admin).send({ name: 'eval' })));
    const records = documented('RecordsController_list', await api().get(`/api/v1/dataset-versions/${versionId}/records`).set('Authorization', admin));
    matches(z.array(RecordResponseSchema), records);
    const recordId = (records as { id: string }[])[0].id;
    matches(RecordResponseSchema, documented('RecordsController_update', await api().patch(`/api/v1/records/${recordId}`).set('Authorization', admin).send({ status: 'accepted', tags: ['ok'] })));

    const endpoint = documented('EndpointsController_create', await api().post('/api/v1/endpoints').set('Authorization', admin).send({ name: 'teacher', purpose: 'teacher', baseUrl: 'http://127.0.0.1:9/v1', model: 'big' }));
    matches(EndpointResponseSchema, endpoint);
    matches(z.array(EndpointResponseSchema), documented('EndpointsController_list', await api().get('/api/v1/endpoints').set('Authorization', admin)));

    const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-openapi-'));
    try {
      fs.writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2, vocab_size: 272 }));
      matches(BaseModelResponseSchema, documented('ModelsController_register', await api().post('/api/v1/models').set('Authorization', admin).send({ name: 'student', path: modelDir })));
      const run = documented('RunsController_create', await api().post('/api/v1/runs').set('Authorization', admin).send({ kind: 'train', baseModel: 'student', datasetVersions: [versionId], adapter: 'support-lora', hyperparameters: { steps: 1, batchSize: 1, maxSeqLen: 32 } }));
      matches(RunResponseSchema, run);
      const runId = (run as { id: string }).id;
      matches(RunResponseSchema, documented('RunsController_show', await api().get(`/api/v1/runs/${runId}`).set('Authorization', admin)));
      matches(z.array(RunEventResponseSchema), documented('RunsController_events', await api().get(`/api/v1/runs/${runId}/events`).set('Authorization', admin)));
      matches(RunResponseSchema, documented('RunsController_cancel', await api().post(`/api/v1/runs/${runId}/cancel`).set('Authorization', admin)));
    } finally {
      fs.rmSync(modelDir, { recursive: true, force: true });
    }

    const template = { teacher: 'teacher', student: 'student', adapter: 'support-lora', dataset: 'support', evalDataset: 'support' };
    matches(ScheduleResponseSchema, documented('SchedulesController_create', await api().post('/api/v1/schedules').set('Authorization', admin).send({ name: 'monthly', template })));
    matches(ScheduleDetailResponseSchema, documented('SchedulesController_show', await api().get('/api/v1/schedules/monthly').set('Authorization', admin)));
    matches(WorkersResponseSchema, documented('WorkersController_list', await api().get('/api/v1/workers').set('Authorization', admin)));
  });
});
