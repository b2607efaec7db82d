import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { RunRepository } from '@retort/db';
import { createApiApp } from '../src/main';
import { startTestStack, waitFor, type TestStack } from './harness';

/** A live SSE connection: what it has received so far, and whether the server ended it. */
function openStream(baseUrl: string, runId: string, token: string, headers: Record<string, string> = {}) {
  const state = { text: '', ended: false, status: 0 };
  const req = http.get(`${baseUrl}/api/v1/runs/${runId}/events/stream`, { headers: { Authorization: `Bearer ${token}`, ...headers } }, (res) => {
    state.status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (state.text += chunk));
    res.on('end', () => (state.ended = true));
  });
  req.on('error', () => (state.ended = true));
  return { state, close: () => req.destroy() };
}

const ids = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]);

describe('/runs/:id/events/stream', () => {
  let stack: TestStack;
  let runId: string;
  let eventIds: string[];

  beforeAll(async () => {
    stack = await startTestStack({ env: { RETORT_SSE_KEEPALIVE_MS: '300' } });
    const runs = new RunRepository(stack.app.get(DataSource));
    runId = (await runs.create({ kind: 'train', config: {} })).id;
    for (const step of [1, 2, 3]) await runs.event(runId, 'info', 'metrics', { step });
    eventIds = (await runs.events(runId, '0', 10)).map((e) => e.id);
  });
  afterAll(() => stack.close());

  it('resumes after Last-Event-ID and keeps an idle connection alive', async () => {
    const stream = openStream(stack.baseUrl, runId, stack.tokens.viewer, { 'Last-Event-ID': eventIds[0] });
    try {
      await waitFor(async () => stream.state.text.includes(': keep-alive'), 5000, 'a keep-alive');
      expect(stream.state.status).toBe(200);
      expect(ids(stream.state.text)).toEqual(eventIds.slice(1));
      await new RunRepository(stack.app.get(DataSource)).event(runId, 'info', 'metrics', { step: 4 });
      await waitFor(async () => ids(stream.state.text).length === 3, 5000, 'the new event');
    } finally {
      stream.close();
    }
  });

  it('refuses a Last-Event-ID that is not an event id', async () => {
    const stream = openStream(stack.baseUrl, runId, stack.tokens.viewer, { 'Last-Event-ID': 'nonsense' });
    await waitFor(async () => stream.state.ended, 5000, 'the answer');
    expect(stream.state.status).toBe(400);
  });

  it('closes open streams when the api shuts down, within 5 s', async () => {
    const other = await createApiApp(stack.config);
    await other.app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(other.app.getHttpServer().address() as AddressInfo).port}`;
    const streams = [openStream(url, runId, stack.tokens.viewer), openStream(url, runId, stack.tokens.viewer)];
    await waitFor(async () => streams.every((s) => ids(s.state.text).length > 0), 5000, 'both streams');
    const started = Date.now();
    await other.app.close();
    expect(Date.now() - started).toBeLessThan(5000);
    await waitFor(async () => streams.every((s) => s.state.ended), 2000, 'the streams to end');
  });
});
