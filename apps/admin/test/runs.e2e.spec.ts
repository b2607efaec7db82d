import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import request from 'supertest';
import { initModel } from '@retort/engine';
import { startTestStack, waitFor, type TestStack } from '../../api/test/harness';
import { launchBrowser, screenshot } from './browser';
import { expectCount, expectText } from './page-expectations';

const line = (u: string, a: string, tags?: string[]) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }], ...(tags ? { tags } : {}) });

/** 12 support chats: 4 about refunds, one exact duplicate pair. */
const DATA = [
  line('Where is my parcel?', 'It left the depot this morning.', ['shipping']),
  line('Can I get a refund for a broken mug?', 'Yes, a refund is on its way.', ['billing']),
  line('What are your opening hours?', 'We are open 9 to 5 on weekdays.'),
  line('I want a refund, the shoes do not fit.', 'Send them back and we refund you.', ['billing']),
  line('Where is my parcel?', 'It left the depot this morning.', ['shipping']),
  line('How do I reset my password?', 'Use the "forgot password" link.'),
  line('Refund please, it arrived late.', 'We have issued a refund.', ['billing']),
  line('Do you ship to Norway?', 'Yes, within five working days.', ['shipping']),
  line('Can I change my address?', 'Yes, under account settings.'),
  line('The refund has not arrived.', 'Refunds take three to five days.', ['billing']),
  line('Is there a student discount?', 'Yes, ten percent with a student card.'),
  line('Can I pay by invoice?', 'Yes, for business accounts.', ['billing']),
].join('\n');

/**
 * The console's runs, curation, models and endpoints pages in real Chromium against the real
 * api and an in-process worker (the build in apps/admin/dist), with a tiny random qwen2 model.
 */
describe('admin console: models, curation and training runs in a browser', () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;
  let modelDir: string;

  beforeAll(async () => {
    // A secret key, so endpoints can store their API key (sealed).
    stack = await startTestStack({ worker: true, env: { RETORT_SECRET_KEY: 'admin-console-test-secret-key' } });
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-admin-model-'));
    initModel({
      family: 'qwen2',
      config: { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 64 },
      out: modelDir,
      seed: 1,
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signIn(page, stack, stack.tokens.operator);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('registers a model from the form', async () => {
    await page.goto(stack.baseUrl + '/models');
    await page.getByTestId('models-empty').waitFor({ timeout: 15000 });
    await page.getByTestId('register-model').first().click();
    await page.getByLabel(/^Name/).fill('tiny-qwen');
    await page.getByLabel(/^Path/).fill(modelDir);
    await page.getByRole('button', { name: /save/i }).click();
    await page.getByTestId('model-config').waitFor({ timeout: 15000 });
    expect(await page.getByTestId('model-config').innerText()).toMatch(/"model_type": "qwen2"/);
    await screenshot(page, 'model-show');
    await page.goto(stack.baseUrl + '/models');
    await page.getByTestId('model-name').filter({ hasText: 'tiny-qwen' }).waitFor({ timeout: 15000 });
    await screenshot(page, 'models-list');
  });

  it('curates a version: dedup, bulk reject via a text filter, edit a record, commit → v2', async () => {
    await page.goto(stack.baseUrl + '/datasets/create');
    await page.getByLabel(/^Name/).fill('support');
    await page.getByRole('button', { name: /save/i }).click();
    await page.getByTestId('upload-jsonl').click();
    await page.getByTestId('upload-file-input').setInputFiles({ name: 'support.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(DATA) });
    await selectOption(page, 'Count tokens with', 'tiny-qwen'); // its tokenizer counts tokens: the histogram
    await page.getByTestId('upload-submit').click();
    await page.locator('[data-testid="curate-version"][data-version="1"]').click({ timeout: 30000 });

    await page.getByTestId('records-grid').waitFor({ timeout: 15000 });
    await expectAttr(page.getByTestId('count-all'), 'data-count', '12');
    await expectAttr(page.getByTestId('count-pending'), 'data-count', '12');
    expect(await page.getByTestId('tag-counts').innerText()).toMatch(/billing 5/);
    expect(Number(await page.getByTestId('token-histogram').getAttribute('data-bins'))).toBeGreaterThan(0);
    await screenshot(page, 'curation');

    // Dedup on the worker: the exact pair shows side by side; reject it.
    await page.getByTestId('analyze').click();
    await page.getByTestId('analyze-submit').click();
    await page.locator('[data-testid="dedup-results"][data-status="done"]').waitFor({ timeout: 20000 });
    expect(await page.getByTestId('dedup-exact-summary').innerText()).toMatch(/Exact: 1 cluster, 1 duplicate/);
    await page.getByTestId('dedup-tab-exact').click();
    await expectCount(page.getByTestId('dedup-record'), 2);
    await screenshot(page, 'curation-dedup');
    await page.getByTestId('reject-duplicates-exact').click();
    await expectAttr(page.getByTestId('count-rejected'), 'data-count', '1');

    // Text filter "refund" → 4 records; reject them all with one bulk call.
    await page.getByPlaceholder('Search text').fill('refund');
    await expectAttr(page.getByTestId('matching-actions'), 'data-count', '4');
    await page.getByTestId('bulk-reject-all').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reject' }).click();
    await expectAttr(page.getByTestId('count-rejected'), 'data-count', '5');
    await expectCount(page.getByTestId('records-grid').locator('[data-testid="record-status"][data-status="rejected"]'), 4);
    await screenshot(page, 'curation-bulk-rejected');

    // The record editor: accept one record and tag it.
    await page.getByPlaceholder('Search text').fill('');
    await page.getByText('Is there a student discount?').click();
    const editor = page.getByTestId('record-editor');
    await editor.getByLabel('accepted').check();
    await editor.getByLabel('Tags').fill('reviewed');
    await editor.getByLabel('Tags').press('Enter');
    await screenshot(page, 'record-editor');
    await page.getByTestId('record-save').click();
    await expectAttr(page.getByTestId('count-accepted'), 'data-count', '1');

    // Commit: 12 - 5 rejected = 7 records in v2.
    await page.getByTestId('commit-version').click();
    expect(await page.getByTestId('commit-kept').innerText()).toMatch(/^7 records/);
    await page.getByTestId('commit-submit').click();
    await page.locator('[data-testid="version-number"]', { hasText: 'v2' }).waitFor({ timeout: 15000 });
    await page.locator('[data-testid="curate-version"][data-version="2"]').waitFor({ timeout: 20000 });
    await screenshot(page, 'dataset-v2');

    const dataset = (await api(stack).get('/api/v1/datasets?filter={"name":"support"}')).body[0];
    expect(dataset.latestVersion).toMatchObject({ version: 2, status: 'ready', records: 7, lineage: { source: 'curation' } });
  });

  it('starts a training run from the form and watches its loss chart until it succeeds', async () => {
    await page.goto(stack.baseUrl + '/runs');
    await page.getByTestId('runs-empty').waitFor({ timeout: 15000 });
    await page.getByTestId('create-run').first().click();
    await page.getByTestId('memory-estimate').waitFor({ timeout: 15000 });
    await selectOption(page, 'Base model', 'tiny-qwen');
    await selectOption(page, 'Dataset', 'support');
    await expectText(page.getByRole('combobox', { name: /^Version/ }), /v2 · 7 records/);
    await page.getByLabel(/^Adapter name/).fill('support-bot');
    await page.getByLabel(/^Steps/).fill('40');
    await page.getByLabel(/^Batch size/).fill('2');
    await page.getByLabel(/^Max sequence length/).fill('64');
    await page.getByLabel(/^Checkpoint every/).fill('20');
    await page.getByLabel(/^Eval fraction/).fill('0.2');
    await screenshot(page, 'run-create');
    await page.getByRole('button', { name: /save/i }).click();

    const details = page.getByTestId('run-details');
    await details.waitFor({ timeout: 15000 });
    await waitFor(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points')) > 0, 30000, 'loss chart points');
    await page.locator('[data-testid="run-details"][data-status="succeeded"]').waitFor({ timeout: 40000 });
    await waitFor(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points')) >= 2, 10000, 'the last steps on the chart');
    await page.getByTestId('checkpoints-table').waitFor({ timeout: 10000 });
    await expectCount(page.getByTestId('checkpoint-row'), 2);
    await page.getByTestId('run-eval').waitFor({ timeout: 5000 });
    await page.locator('[data-testid="event-row"][data-type="message"]', { hasText: /adapter support-bot v1 registered/ }).waitFor({ timeout: 10000 });
    expect(await page.getByTestId('retry-run').count()).toBe(0);
    expect(await page.getByTestId('cancel-run').count()).toBe(0);
    await screenshot(page, 'run-show');

    await page.goto(stack.baseUrl + '/runs');
    await page.locator('[data-testid="run-status"][data-status="succeeded"]').waitFor({ timeout: 15000 });
    expect(await page.getByTestId('run-adapter').first().innerText()).toBe('support-bot');
    await screenshot(page, 'runs-list');
  });

  it('lets an admin manage endpoints with a write-only key, and hides that from operators', async () => {
    await page.goto(stack.baseUrl + '/endpoints');
    await page.getByTestId('endpoints-empty').waitFor({ timeout: 15000 });
    expect(await page.getByTestId('create-endpoint').count()).toBe(0);

    const admin = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signIn(admin, stack, stack.tokens.admin);
    await admin.goto(stack.baseUrl + '/endpoints/create');
    await admin.getByLabel(/^Name/).fill('big-teacher');
    await admin.getByLabel(/^Base URL/).fill('http://127.0.0.1:9/v1');
    await admin.getByLabel(/^Model/).fill('llama-70b');
    await admin.getByTestId('endpoint-api-key').fill('sk-secret-1');
    await screenshot(admin, 'endpoint-create');
    await admin.getByRole('button', { name: /save/i }).click();
    await expectText(admin.getByTestId('endpoint-key-state'), /stored/);
    await admin.getByTestId('edit-endpoint').click();
    await admin.getByTestId('endpoint-remove-key').locator('input').check();
    await screenshot(admin, 'endpoint-edit');
    await admin.getByRole('button', { name: /save/i }).click();
    await expectText(admin.getByTestId('endpoint-key-state'), /none/);
    await admin.close();

    const list = (await api(stack).get('/api/v1/endpoints')).body;
    expect(list).toEqual([expect.objectContaining({ name: 'big-teacher', purpose: 'teacher', hasApiKey: false })]);
    expect(JSON.stringify(list)).not.toContain('sk-secret-1');
    await page.goto(stack.baseUrl + '/endpoints');
    await page.getByTestId('endpoint-name').filter({ hasText: 'big-teacher' }).waitFor({ timeout: 15000 });
    await screenshot(page, 'endpoints-list');
  });
});

function api(stack: TestStack) {
  const agent = request(stack.baseUrl);
  return { get: (url: string) => agent.get(url).set('Authorization', `Bearer ${stack.tokens.viewer}`) };
}

async function signIn(page: Page, stack: TestStack, token: string): Promise<void> {
  await page.goto(stack.baseUrl + '/');
  await page.getByTestId('login-token').fill(token);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-form').waitFor({ state: 'detached', timeout: 15000 });
}

/** Opens a MUI select by its label and picks an option. */
async function selectOption(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole('combobox', { name: new RegExp(`^${label}`) }).click();
  await page.getByRole('option', { name: option }).click();
}

async function expectAttr(locator: Locator, name: string, value: string, timeout = 15000): Promise<void> {
  await waitFor(async () => (await locator.getAttribute(name)) === value, timeout, `${name}=${value}`).catch(async (e) => {
    throw new Error(`${e.message} (last: ${await locator.getAttribute(name)})`);
  });
}
