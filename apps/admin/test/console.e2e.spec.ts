import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { startTestStack, type TestStack } from '../../api/test/harness';
import { launchBrowser, screenshot } from './browser';

const line = (u: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });

/** The admin console in real Chromium against the real api and worker (the build in apps/admin/dist). */
describe('admin console in a browser', () => {
  let stack: TestStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startTestStack({ worker: true });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('signs in with a token and refuses a wrong one', async () => {
    await page.goto(stack.baseUrl + '/');
    await page.getByTestId('login-token').waitFor();
    await screenshot(page, 'login');
    await page.getByTestId('login-token').fill('rt_wrong');
    await page.getByTestId('login-submit').click();
    await page.getByText(/API token is not valid/i).first().waitFor({ timeout: 10000 });
    await page.getByTestId('login-token').fill(stack.tokens.operator);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('home').waitFor({ timeout: 15000 });
    await page.goto(stack.baseUrl + '/datasets');
    await page.getByTestId('datasets-empty').waitFor({ timeout: 15000 });
    await screenshot(page, 'datasets-empty');
  });

  it('creates a dataset, shows every error of a bad upload, then takes a good one to ready', async () => {
    await page.getByTestId('create-dataset').first().click();
    await page.getByLabel(/name/i).first().fill('support');
    await page.getByRole('button', { name: /save/i }).click();
    await page.getByTestId('upload-jsonl').waitFor({ timeout: 15000 });

    await page.getByTestId('upload-jsonl').click();
    const bad = [line('ok', 'fine'), '{"messages": [{"role": "robot", "content": "x"}]}'].join('\n');
    await page.getByTestId('upload-file-input').setInputFiles({ name: 'bad.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(bad) });
    await page.getByTestId('upload-submit').click();
    const errors = page.getByTestId('upload-errors');
    await errors.waitFor({ timeout: 15000 });
    await expectText(errors, /messages\[0\]\.role/);
    await expectText(errors, /role must be one of system, user, assistant/);
    await screenshot(page, 'upload-errors');

    const good = [line('Where is parcel 1?', 'In Leeds.'), line('Refund?', 'Issued.'), line('Hours?', '9 to 5.')].join('\n');
    await page.getByTestId('upload-file-input').setInputFiles({ name: 'good.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(good) });
    await page.getByTestId('upload-submit').click();
    await page.locator('[data-testid="status-chip"][data-status="ready"]').first().waitFor({ timeout: 30000 });
    await screenshot(page, 'dataset-show');

    await page.goto(stack.baseUrl + '/datasets');
    const row = page.getByTestId('datasets-grid');
    await row.waitFor({ timeout: 15000 });
    await expectText(row, /support/);
    await page.locator('[data-testid="dataset-records"]', { hasText: '3' }).first().waitFor({ timeout: 15000 });
    await page.locator('[data-testid="status-chip"][data-status="ready"]').first().waitFor({ timeout: 15000 });
    await screenshot(page, 'datasets-list');

    const api = await request(stack.baseUrl).get('/api/v1/datasets').set('Authorization', `Bearer ${stack.tokens.viewer}`);
    expect(api.body[0]).toMatchObject({ name: 'support', latestVersion: { version: 1, status: 'ready', records: 3, lineage: { source: 'upload', filename: 'good.jsonl' } } });
  });

  it('shows a viewer no create or upload buttons', async () => {
    const viewer = await browser.newPage();
    await viewer.goto(stack.baseUrl + '/');
    await viewer.getByTestId('login-token').fill(stack.tokens.viewer);
    await viewer.getByTestId('login-submit').click();
    await viewer.getByTestId('home').waitFor({ timeout: 15000 });
    await viewer.goto(stack.baseUrl + '/datasets');
    await viewer.getByTestId('datasets-grid').waitFor({ timeout: 15000 });
    expect(await viewer.getByTestId('create-dataset').count()).toBe(0);
    await viewer.getByTestId('dataset-name').first().click();
    await viewer.getByTestId('versions-table').waitFor({ timeout: 15000 });
    expect(await viewer.getByTestId('upload-jsonl').count()).toBe(0);
    await screenshot(viewer, 'viewer-dataset-show');
    await viewer.close();
  });
});

async function expectText(locator: import('playwright-core').Locator, pattern: RegExp): Promise<void> {
  const text = await locator.innerText();
  expect(text).toMatch(pattern);
}
