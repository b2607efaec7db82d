import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import request from 'supertest';
import { planMemory } from '@retort/contracts';
import { initModel } from '@retort/engine';
import { startServe } from '@retort/serve';
import { startTestStack, waitFor, type TestStack } from '../../api/test/harness';
import { launchBrowser, screenshot } from './browser';

/**
 * The registry side of the console in real Chromium against the real api, an in-process worker and
 * a running `retort serve`: an adapter trained through the API is promoted to production from its
 * page (confirmation dialog, stage chip, deployment "serving"), answers in the playground next to
 * the base model, and a schedule is created with its cron read back in plain language.
 */
describe('admin console: adapters, promotion, playground and schedules in a browser', () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let modelDir: string;
  let serve: Awaited<ReturnType<typeof startServe>>;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    const api = request(stack.baseUrl);
    const admin = `Bearer ${stack.tokens.admin}`;
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-admin-registry-'));
    initModel({ family: 'qwen2', config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 }, out: modelDir, seed: 3 });
    await api.post('/api/v1/models').set('Authorization', admin).send({ name: 'tiny', path: modelDir }).expect(201);
    const ds = (await api.post('/api/v1/datasets').set('Authorization', admin).send({ name: 'pings' }).expect(201)).body;
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `ping ${i}` }, { role: 'assistant', content: `pong ${i}` }] }));
    const version = (await api.post(`/api/v1/datasets/${ds.id}/versions`).set('Authorization', admin).set('Content-Type', 'application/x-ndjson').send(lines.join('\n'))).body;
    await waitFor(async () => (await api.get(`/api/v1/dataset-versions/${version.id}`).set('Authorization', admin)).body.status === 'ready', 20000, 'import');
    const run = (await api.post('/api/v1/runs').set('Authorization', admin).send({ kind: 'train', baseModel: 'tiny', datasetVersions: [version.id], adapter: 'pong', hyperparameters: { steps: 3, batchSize: 4, maxSeqLen: 64 } }).expect(202)).body;
    await waitFor(async () => (await api.get(`/api/v1/runs/${run.id}`).set('Authorization', admin)).body.status === 'succeeded', 60000, 'training');

    serve = await startServe({ models: [{ name: 'tiny', dir: modelDir }], host: '127.0.0.1', port: 0, log: () => undefined });
    await api.post('/api/v1/endpoints').set('Authorization', admin).send({ name: 'serve', purpose: 'serving', kind: 'retort', baseUrl: `${serve.url}/v1`, model: 'tiny' }).expect(201);
    await api.post('/api/v1/endpoints').set('Authorization', admin).send({ name: 'teacher', purpose: 'teacher', kind: 'retort', baseUrl: `${serve.url}/v1`, model: 'tiny' }).expect(201);

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signIn(page, stack, stack.tokens.admin);
  }, 120000);
  afterAll(async () => {
    await browser?.close();
    await serve?.close();
    await stack?.close();
    if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('promotes v1 to production through the confirmation dialog and shows it serving', async () => {
    await page.goto(stack.baseUrl + '/adapters');
    await page.getByTestId('adapter-name').filter({ hasText: 'pong' }).click({ timeout: 15000 });
    await page.getByTestId('adapter-version-row').first().waitFor({ timeout: 15000 });
    expect(await page.getByTestId('stages-none').count()).toBe(1);
    await page.getByTestId('deployments-empty').waitFor();

    await page.getByTestId('promote-adapter').click();
    await expectText(page.getByTestId('promote-summary'), /production: no version → v1/);
    await screenshot(page, 'adapter-promote-dialog');
    await page.getByTestId('promote-confirm').click();
    await page.getByTestId('promote-dialog').waitFor({ state: 'detached', timeout: 30000 });

    await page.locator('[data-testid="adapter-stages"] [data-testid="stage-chip"][data-stage="production"][data-version="1"]').waitFor({ timeout: 15000 });
    await page.locator('[data-testid="deployment-row"][data-endpoint="serve"] [data-testid="deployment-status"][data-status="serving"]').waitFor({ timeout: 15000 });
    await page.locator('[data-testid="history-row"][data-action="promote"]').waitFor({ timeout: 15000 });
    await screenshot(page, 'adapter-show');

    await page.goto(stack.baseUrl + '/adapters');
    await page.locator('[data-testid="stage-chip"][data-stage="production"][data-version="1"]').waitFor({ timeout: 15000 });
    await screenshot(page, 'adapters-list');
  });

  it('chats with the base model and the adapter side by side in the playground', async () => {
    await page.goto(stack.baseUrl + '/playground');
    await page.getByTestId('playground-page').waitFor({ timeout: 15000 });
    await expectValue(page.getByTestId('playground-model-a'), 'tiny');
    await expectValue(page.getByTestId('playground-model-b'), 'pong'); // the production alias, suggested
    await page.getByTestId('playground-prompt').fill('ping 1');
    await page.getByTestId('playground-send').click();
    await page.locator('[data-testid="playground-reply"][data-model="tiny"]').waitFor({ timeout: 30000 });
    await page.locator('[data-testid="playground-reply"][data-model="pong"]').waitFor({ timeout: 30000 });
    expect(await page.getByTestId('playground-error').count()).toBe(0);
    await screenshot(page, 'playground');
  });

  it('creates a schedule with its cron in plain language and the next five fire times', async () => {
    await page.goto(stack.baseUrl + '/schedules');
    await page.getByTestId('schedules-empty').waitFor({ timeout: 15000 });
    await page.getByTestId('create-schedule').first().click();
    await page.getByTestId('schedule-form').waitFor({ timeout: 15000 });
    await expectText(page.getByTestId('cron-description'), /At 03:00, on day 1 of the month \(UTC\)/);
    await expectCount(page.getByTestId('cron-next-time'), 5);

    await page.getByLabel(/^Name/).fill('pong-weekly');
    await page.getByTestId('schedule-cron').fill('30 4 * * 1');
    await expectText(page.getByTestId('cron-description'), /At 04:30, only on Monday/);
    const first = new Date((await page.getByTestId('cron-next-time').first().getAttribute('data-iso'))!);
    expect([first.getUTCDay(), first.getUTCHours(), first.getUTCMinutes()]).toEqual([1, 4, 30]);
    await page.getByTestId('schedule-cron').fill('not a cron');
    await page.getByTestId('cron-error').waitFor();
    await page.getByTestId('schedule-cron').fill('30 4 * * 1');

    await selectOption(page, 'Prompts data set', 'pings');
    await selectOption(page, 'Held-out data set', 'pings');
    await selectOption(page, 'Teacher', 'teacher');
    await selectOption(page, 'Student', 'tiny');
    await page.getByLabel(/^Adapter/).fill('pong');
    await page.getByLabel(/^Min loss improvement/).fill('1');
    await screenshot(page, 'schedule-create');
    await page.getByRole('button', { name: /save/i }).click();

    await page.getByTestId('schedule-details').waitFor({ timeout: 15000 });
    await expectText(page.getByTestId('schedule-description'), /At 04:30, only on Monday/);
    await expectCount(page.getByTestId('schedule-next-time'), 5);
    expect(await page.getByTestId('schedule-gate').innerText()).toMatch(/at least 1% below production/);
    await screenshot(page, 'schedule-show');

    await page.getByTestId('pause-schedule').click();
    await page.locator('[data-testid="schedule-details"][data-enabled="false"]').waitFor({ timeout: 15000 });
    const saved = (await request(stack.baseUrl).get('/api/v1/schedules/pong-weekly').set('Authorization', `Bearer ${stack.tokens.viewer}`)).body;
    expect(saved).toMatchObject({ cron: '30 4 * * 1', timezone: 'UTC', enabled: false, template: { dataset: 'pings', teacher: 'teacher', student: 'tiny', adapter: 'pong' }, gate: { minLossImprovementPct: 1 } });
  });

  it('shows the memory estimate and the pools that fit on the training form', async () => {
    await page.goto(stack.baseUrl + '/runs/create');
    await selectOption(page, 'Base model', 'tiny');
    await page.getByTestId('memory-total').waitFor({ timeout: 15000 });
    await waitFor(async () => ['fits', 'no-workers'].includes((await page.getByTestId('memory-estimate').getAttribute('data-state')) ?? ''), 15000, 'pool check');
    const total = async () => Number(await page.getByTestId('memory-estimate').getAttribute('data-total-bytes'));
    const config = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
    const planned = (checkpoint: boolean) => planMemory({ config, method: 'lora', seq: 1024, batch: 8, rank: 8, checkpoint }).bytes.total; // the form's defaults
    expect(await total()).toBe(planned(false));
    await page.getByLabel('Gradient checkpointing').check();
    await waitFor(async () => (await total()) === planned(true), 15000, 'the estimate with gradient checkpointing');
    expect(planned(true)).not.toBe(planned(false));
    await screenshot(page, 'run-create-memory');
  });

  it('tests an endpoint connection from its page', async () => {
    await page.goto(stack.baseUrl + '/endpoints');
    await page.getByText('serve', { exact: true }).first().click({ timeout: 15000 });
    await page.getByTestId('test-endpoint').click({ timeout: 15000 });
    await page.locator('[data-testid="test-result"][data-ok="true"]').waitFor({ timeout: 15000 });
    await expectText(page.getByTestId('test-models'), /tiny/);
    await screenshot(page, 'endpoint-test');
  });

  it('starts an evaluation from its form and shows the report side by side', async () => {
    await page.goto(stack.baseUrl + '/runs/evaluate');
    await selectOption(page, 'Base model', 'tiny');
    await selectOption(page, 'Data set', 'pings');
    await page.getByRole('button', { name: /add/i }).first().click();
    await page.getByLabel(/^Adapter/).first().fill('pong@1');
    await page.getByLabel(/^Max tokens per answer/).fill('4');
    await screenshot(page, 'evaluate-create');
    await page.getByRole('button', { name: /save/i }).click();
    await page.locator('[data-testid="evaluation-report"][data-subjects="2"]').waitFor({ timeout: 60000 });
    await page.locator('[data-testid="evaluation-subject"][data-label="pong v1"]').waitFor();
    await screenshot(page, 'evaluation-report');
  });
});

async function signIn(page: Page, stack: TestStack, token: string): Promise<void> {
  await page.goto(stack.baseUrl + '/');
  await page.getByTestId('login-token').fill(token);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-form').waitFor({ state: 'detached', timeout: 15000 });
}

async function selectOption(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole('combobox', { name: new RegExp(`^${label}`) }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

async function expectCount(locator: Locator, n: number, timeout = 15000): Promise<void> {
  await waitFor(async () => (await locator.count()) === n, timeout, `${n} elements`).catch(async (e) => {
    throw new Error(`${e.message} (last: ${await locator.count()})`);
  });
}

async function expectText(locator: Locator, pattern: RegExp, timeout = 15000): Promise<void> {
  await waitFor(async () => pattern.test(await locator.innerText().catch(() => '')), timeout, `text ${pattern}`).catch(async (e) => {
    throw new Error(`${e.message} (last: ${await locator.innerText().catch(() => '')})`);
  });
}

async function expectValue(locator: Locator, value: string, timeout = 15000): Promise<void> {
  await waitFor(async () => (await locator.inputValue().catch(() => '')) === value, timeout, `value ${value}`).catch(async (e) => {
    throw new Error(`${e.message} (last: ${await locator.inputValue().catch(() => '')})`);
  });
}
