import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiClient, ApiError } from '../client';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const DEMO_MODELS_DIR = path.join(REPO_ROOT, 'datasets', 'demo-models');
export const DEMO_DATA_DIR = path.join(REPO_ROOT, 'datasets', 'demo-support');

/** The demo's distillation with the settings measured for its models (datasets/demo-models/README.md). */
export const DEMO_DISTILL_COMMAND =
  'npx retort run distill --dataset demo-support --teacher demo-teacher --student demo-student --steps 500 --batch-size 8 --lr 3e-3 --rank 32 --alpha 64 --warmup-steps 20 --max-seq-len 192 --eval-max-tokens 64 --watch';

export interface DemoModels {
  teacher: string;
  student: string;
}

export function demoModels(): DemoModels {
  const teacher = path.join(DEMO_MODELS_DIR, 'demo-teacher');
  const student = path.join(DEMO_MODELS_DIR, 'demo-student');
  for (const dir of [teacher, student]) {
    if (!fs.existsSync(path.join(dir, 'config.json'))) throw new Error(`${dir}: the demo model is missing; make it with node -r @swc-node/register scripts/demo-models/make.ts --out datasets/demo-models`);
  }
  return { teacher, student };
}

/**
 * Seeds the demo through the API (idempotent: what exists already is kept): the two base models,
 * the demo-support prompts and its held-out set, the teacher endpoint and the serving endpoint
 * on the embedded retort serve.
 */
export async function seedDemo(api: ApiClient, models: DemoModels, serveUrl: string, serveApiKey: string): Promise<string[]> {
  const done: string[] = [];
  /** Whether it was created (false: it existed already). */
  const ignoreConflict = async (what: string, fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await fn();
      done.push(what);
      return true;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409)) throw err;
      return false;
    }
  };
  await ignoreConflict('model demo-teacher', () => api.request('POST', '/api/v1/models', { json: { name: 'demo-teacher', path: models.teacher } }));
  await ignoreConflict('model demo-student', () => api.request('POST', '/api/v1/models', { json: { name: 'demo-student', path: models.student } }));
  for (const [name, file, purpose] of [
    ['demo-support', 'prompts.jsonl', 'prompts'],
    ['demo-support-eval', 'eval.jsonl', 'train'],
  ] as const) {
    const { data: found } = await api.request<{ id: string; latestVersion: unknown }[]>('GET', `/api/v1/datasets?filter=${encodeURIComponent(JSON.stringify({ name }))}`);
    const id = found[0]?.id ?? (await api.request<{ id: string }>('POST', '/api/v1/datasets', { json: { name, description: 'demo: parcel-support requests (datasets/README.md)' } })).data.id;
    if (found[0]?.latestVersion) continue;
    await api.request('POST', `/api/v1/datasets/${id}/versions?purpose=${purpose}&filename=${file}`, { body: fs.readFileSync(path.join(DEMO_DATA_DIR, file)), headers: { 'Content-Type': 'application/x-ndjson' } });
    done.push(`data set ${name}`);
  }
  const endpoint = (name: string, purpose: string, model: string) => ({ name, purpose, kind: 'retort', baseUrl: `${serveUrl}/v1`, model, maxConcurrency: 2, apiKey: serveApiKey });
  for (const [name, purpose, model] of [
    ['demo-teacher', 'teacher', 'demo-teacher'],
    ['demo-serve', 'serving', 'demo-student'],
  ] as const) {
    const created = await ignoreConflict(`endpoint ${name}`, () => api.request('POST', '/api/v1/endpoints', { json: endpoint(name, purpose, model) }));
    if (!created) await keepKeyCurrent(api, name, serveApiKey);
  }
  return done;
}

/** An endpoint seeded before serve had a key (or with another one) gets the key serve runs with now. */
async function keepKeyCurrent(api: ApiClient, name: string, apiKey: string): Promise<void> {
  const { data: found } = await api.request<{ id: string }[]>('GET', `/api/v1/endpoints?filter=${encodeURIComponent(JSON.stringify({ name }))}`);
  if (found[0]) await api.request('PATCH', `/api/v1/endpoints/${found[0].id}`, { json: { apiKey } });
}
