import { roleCan } from '../src/lib/access';
import { withActions } from '../src/lib/rest';
import { scheduleBody } from '../src/schedules/body';
import { formatInZone, previewCron } from '../src/schedules/cron';

describe('schedule form helpers', () => {
  it('describes a cron in plain language with its next fire times in the time zone', () => {
    const p = previewCron('0 3 1 * *', 'Europe/Oslo', 5, new Date('2026-01-15T00:00:00Z'));
    expect(p.description).toBe('At 03:00, on day 1 of the month');
    expect(p.next.map((d) => d.toISOString())).toEqual(['2026-02-01T02:00:00.000Z', '2026-03-01T02:00:00.000Z', '2026-04-01T01:00:00.000Z', '2026-05-01T01:00:00.000Z', '2026-06-01T01:00:00.000Z']);
    expect(formatInZone(p.next[0], 'Europe/Oslo')).toMatch(/1 Feb 2026, 03:00/);
  });

  it('reports a bad cron or time zone instead of fire times', () => {
    expect(previewCron('not a cron', 'UTC').error).toMatch(/invalid cron expression/);
    expect(previewCron('0 3 1 * *', 'Mars/Olympus').error).toMatch(/unknown time zone/);
    expect(previewCron('', 'UTC')).toMatchObject({ next: [], error: 'Enter a cron expression' });
  });

  it('sends only writable fields, without empty values or a score rule lacking a metric', () => {
    const body = scheduleBody({
      id: 'x',
      name: 'monthly',
      cron: '0 3 1 * *',
      timezone: 'UTC',
      nextFireTimes: [],
      template: { dataset: 'p', evalDataset: 'e', teacher: 't', student: 's', adapter: 'a', generate: { samples: 1, seed: null }, evaluate: { limit: '' } },
      gate: { minLossImprovementPct: 2, maxRegressionPct: null, minScore: { metric: undefined, atLeastProduction: true }, requireProduction: false },
      autoPromote: true,
      enabled: true,
    });
    expect(body).toEqual({
      name: 'monthly',
      cron: '0 3 1 * *',
      timezone: 'UTC',
      template: { dataset: 'p', evalDataset: 'e', teacher: 't', student: 's', adapter: 'a', generate: { samples: 1 }, evaluate: {} },
      gate: { minLossImprovementPct: 2 },
      autoPromote: true,
      enabled: true,
    });
  });
});

describe('registry access and actions', () => {
  it('lets only admins promote and roll back, and operators test endpoints and trigger schedules', () => {
    expect(roleCan('operator', 'promote', 'adapters')).toBe(false);
    expect(roleCan('admin', 'rollback', 'adapters')).toBe(true);
    expect(roleCan('operator', 'test', 'endpoints')).toBe(true);
    expect(roleCan('viewer', 'test', 'endpoints')).toBe(false);
    expect(roleCan('operator', 'edit', 'endpoints')).toBe(false);
    expect(roleCan('operator', 'trigger', 'schedules')).toBe(true);
    expect(roleCan('viewer', 'trigger', 'schedules')).toBe(false);
  });

  it('calls the registry, schedule, endpoint and playground routes', async () => {
    const calls: [string, RequestInit | undefined][] = [];
    const http = async (url: string, options?: RequestInit) => {
      calls.push([url, options]);
      return { json: {}, headers: new Headers(), status: 200 };
    };
    const dp = withActions({} as any, '/api/v1', http);
    await dp.promoteAdapter('pong', { version: 2, stage: 'production' });
    await dp.rollbackAdapter('pong', 'staging');
    await dp.compareAdapterVersions('pong', 1, 2);
    await dp.triggerSchedule('monthly');
    await dp.testEndpoint('e1');
    await dp.playgroundChat({ endpoint: 'serve', model: 'pong', messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, temperature: 0 });
    await dp.getWorkers();
    expect(calls.map(([url, o]) => `${o?.method ?? 'GET'} ${url} ${o?.body ?? ''}`.trim())).toEqual([
      'POST /api/v1/adapters/pong/promote {"version":2,"stage":"production"}',
      'POST /api/v1/adapters/pong/rollback {"stage":"staging"}',
      'GET /api/v1/adapters/pong/compare?a=1&b=2',
      'POST /api/v1/schedules/monthly/trigger {}',
      'POST /api/v1/endpoints/e1/test {}',
      'POST /api/v1/playground/chat {"endpoint":"serve","model":"pong","messages":[{"role":"user","content":"hi"}],"maxTokens":8,"temperature":0}',
      'GET /api/v1/workers',
    ]);
  });
});
