import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { initModel } from '@retort/engine';
import { startTestStack, uploadVersion, waitFor, type TestStack } from '../../api/test/harness';
import { launchBrowser, screenshot } from './browser';
import { expectCount, expectText } from './page-expectations';

const WIDTH = 1280;
const chat = (u: string, a: string) => ({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });

/**
 * The console at 1280 px in real Chromium against the real api and an in-process worker: the home
 * page, the curation and adapter pages without sideways scrolling, blank answers made visible, a
 * finished pipeline's configuration and its steps' events, and the runs list grouped by pipeline.
 * The pipeline's teacher refuses every prompt, so its generation step fails and the pipeline finishes.
 */
describe('admin console at 1280 px: home, curation, adapters, pipelines', () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let modelDir: string;
  let curatedVersion: string;
  let promptsVersion: string;
  let adapterId: string;
  let pipelineId: string;
  let teacher: http.Server;
  const api = () => request(stack.baseUrl);
  const admin = () => `Bearer ${stack.tokens.admin}`;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-admin-overview-'));
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 5 });
    await api().post('/api/v1/models').set('Authorization', admin()).send({ name: 'tiny', path: modelDir }).expect(201);
    // A teacher that refuses every prompt with a 400 (not retried): the pipeline fails in seconds.
    teacher = http.createServer((_req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'this teacher takes no prompts' } }));
    });
    await new Promise<void>((resolve) => teacher.listen(0, '127.0.0.1', resolve));
    const teacherUrl = `http://127.0.0.1:${(teacher.address() as AddressInfo).port}/v1`;
    await api().post('/api/v1/endpoints').set('Authorization', admin()).send({ name: 'deaf-teacher', purpose: 'teacher', baseUrl: teacherUrl, model: 't' }).expect(201);
    const long = 'and the parcel left the depot in Leeds this morning, it should arrive within two working days, '.repeat(3);
    const records = Array.from({ length: 7 }, (_, i) => ({ ...chat(`ping ${i}: where is my parcel ${long}`, `pong ${i}: ${long}`), tags: ['shipping', 'long-answers', `batch-${i}`] }));
    curatedVersion = await uploadVersion(stack, 'support', records, stack.tokens.admin);
    promptsVersion = await uploadVersion(stack, 'pings', Array.from({ length: 6 }, (_, i) => chat(`ping ${i}`, `pong ${i}`)), stack.tokens.admin);
    // Uploads and edits refuse blank content; a blank answer comes from a model (a teacher that
    // answers 64 newlines), so one is written into the stored record here.
    await stack.app.get(DataSource).query(`UPDATE record SET messages = jsonb_set(messages, '{1,content}', to_jsonb($1::text)) WHERE version_id = $2 AND idx = 6`, ['\n'.repeat(64), curatedVersion]);
    const heldOut = await uploadVersion(stack, 'held-out', [chat('ping 9', 'pong 9')], stack.tokens.admin);

    const train = (await api().post('/api/v1/runs').set('Authorization', admin()).send({ kind: 'train', baseModel: 'tiny', datasetVersions: [promptsVersion], adapter: 'pong', hyperparameters: { steps: 2, batchSize: 4, maxSeqLen: 64 } }).expect(202)).body;
    await waitFor(async () => (await api().get(`/api/v1/runs/${train.id}`).set('Authorization', admin())).body.status === 'succeeded', 60000, 'training');
    adapterId = (await api().get('/api/v1/adapters/pong').set('Authorization', admin()).expect(200)).body.id;
    await api().post('/api/v1/adapters/pong/promote').set('Authorization', admin()).send({ version: 1, stage: 'production' }).expect(200);
    await api().post('/api/v1/schedules').set('Authorization', admin()).send({ name: 'monthly', cron: '0 3 1 * *', template: { dataset: 'pings', evalDataset: 'held-out', teacher: 'deaf-teacher', student: 'tiny', adapter: 'monthly-pong' } }).expect(201);
    const pipeline = await api()
      .post('/api/v1/runs')
      .set('Authorization', admin())
      .send({ kind: 'pipeline', teacher: 'deaf-teacher', prompts: promptsVersion, student: 'tiny', adapter: 'distilled', evalDatasetVersion: heldOut, generate: { maxTokens: 16 }, hyperparameters: { steps: 2, maxSeqLen: 64 } });
    expect(pipeline.status).toBe(202);
    pipelineId = pipeline.body.id;

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: WIDTH, height: 800 } });
    await page.goto(stack.baseUrl + '/');
    await page.getByTestId('login-token').fill(stack.tokens.admin);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-form').waitFor({ state: 'detached', timeout: 15000 });
  }, 120000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await new Promise((resolve) => teacher?.close(resolve));
    if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('opens on a home page with recent runs, production adapters and the next schedule fires', async () => {
    await page.goto(stack.baseUrl + '/');
    await page.getByTestId('home').waitFor({ timeout: 15000 });
    await page.locator('[data-testid="home-production-adapter"][data-name="pong"]').waitFor({ timeout: 15000 });
    expect(await page.getByTestId('home-production-adapter').innerText()).toMatch(/pong\s+tiny\s+v1/);
    const fire = page.locator('[data-testid="home-fire"][data-name="monthly"]');
    await fire.waitFor({ timeout: 15000 });
    const at = new Date((await fire.getAttribute('data-iso'))!);
    expect(at.getUTCDate()).toBe(1);
    expect(at.getUTCHours()).toBe(3);
    expect(at.getTime()).toBeGreaterThan(Date.now());
    // Top-level runs only: the training run and the pipeline, not the pipeline's steps.
    await expectCount(page.getByTestId('home-run'), 2);
    expect(await page.locator('[data-testid="home-run"][data-kind="pipeline"]').count()).toBe(1);
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'home-1280');
  });

  it('curates at 1280 px without sideways scrolling and marks an all-newline answer', async () => {
    const { datasetId } = (await api().get(`/api/v1/dataset-versions/${curatedVersion}`).set('Authorization', admin())).body;
    await page.goto(`${stack.baseUrl}/datasets/${datasetId}/versions/${curatedVersion}`);
    await page.getByTestId('records-grid').waitFor({ timeout: 15000 });
    await expectCount(page.getByTestId('record-preview'), 7);
    const blank = page.getByTestId('records-grid').getByTestId('blank-answer');
    await expectCount(blank, 1);
    expect(await blank.innerText()).toBe('(blank: ⏎ ×64)');
    await page.getByTestId('commit-version').waitFor();
    await screenshot(page, 'curation-1280');
    await expectInView(page, page.getByTestId('commit-version'));
    await expectInView(page, page.getByTestId('record-reject').first());
    await expectNoSidewaysScroll(page);
  });

  it('shows an adapter at 1280 px without sideways scrolling', async () => {
    await page.goto(`${stack.baseUrl}/adapters/${adapterId}/show`);
    await page.locator('[data-testid="stage-chip"][data-stage="production"]').first().waitFor({ timeout: 15000 });
    await page.getByTestId('deployments-panel').waitFor({ timeout: 15000 });
    await expectInView(page, page.getByTestId('promote-adapter'));
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'adapter-1280');
  });

  it("shows a finished pipeline's configuration and its steps' events", async () => {
    await waitFor(async () => ['failed', 'succeeded', 'cancelled'].includes((await api().get(`/api/v1/runs/${pipelineId}`).set('Authorization', admin())).body.status), 30000, 'the pipeline to finish');
    await page.goto(`${stack.baseUrl}/runs/${pipelineId}/show`);
    await page.locator('[data-testid="run-details"][data-kind="pipeline"]').waitFor({ timeout: 15000 });
    await expectText(page.getByTestId('pipeline-teacher'), /deaf-teacher/);
    await expectText(page.getByTestId('pipeline-student'), /tiny/);
    await expectText(page.getByTestId('pipeline-adapter'), /distilled/);
    await expectText(page.getByTestId('pipeline-generate-max-tokens'), /^Max tokens\s+16$/);
    await expectText(page.getByTestId('pipeline-config-train'), /Steps × batch\s+2 ×/);
    await expectText(page.getByTestId('pipeline-auto-promote'), /no/);
    await page.getByTestId('events-log').waitFor({ timeout: 15000 });
    expect(await page.getByTestId('events-empty').count()).toBe(0);
    await page.locator('[data-testid="event-row"][data-step="Teacher generation"]').first().waitFor({ timeout: 15000 });
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'pipeline-1280');
  });

  it('lists runs grouped under their pipeline', async () => {
    await page.goto(stack.baseUrl + '/runs');
    const grid = page.getByTestId('runs-grid');
    await grid.waitFor({ timeout: 15000 });
    await expectCount(grid.locator('tbody [data-testid="run-status"]'), 2);
    await screenshot(page, 'runs-1280');
    const row = grid.locator('tbody tr', { hasText: 'pipeline' }).first();
    await row.locator('[aria-expanded="false"]').click();
    const children = page.locator(`[data-testid="pipeline-children"][data-pipeline="${pipelineId}"]`);
    await children.waitFor({ timeout: 15000 });
    await expectCount(children.getByTestId('pipeline-step'), 3);
    expect(await children.getByTestId('pipeline-step').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')))).toEqual(['generate', 'train', 'evaluate']);
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'runs-grouped-1280');
  });
});

async function expectNoSidewaysScroll(page: Page): Promise<void> {
  // Let late content (charts, tables) lay out before measuring.
  await page.waitForTimeout(300);
  const { width, wide } = await page.evaluate(() => {
    const width = document.scrollingElement!.scrollWidth;
    const wide = Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(-5)
      .map((e) => `${e.tagName.toLowerCase()}.${String(e.className).split(' ').slice(0, 2).join('.')} (${Math.round(e.getBoundingClientRect().right)} px)`);
    return { width, wide };
  });
  if (width > WIDTH) throw new Error(`the page is ${width} px wide at ${WIDTH} px; widest: ${wide.join(', ')}`);
}

async function expectInView(page: Page, locator: Locator): Promise<void> {
  const box = await locator.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x + box!.width).toBeLessThanOrEqual(WIDTH);
}
