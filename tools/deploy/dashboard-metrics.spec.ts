import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Queue } from 'bullmq';
import { parse as parseYaml } from 'yaml';
import { MetricsService } from '@retort/api';
import { WorkerMetrics } from '@retort/worker';
import { exportedSeries, metricNamesIn } from './promql-metrics';

const DEPLOY = path.resolve(__dirname, '../../deploy');
/** Prometheus adds `up` to every scrape itself. */
const PROMETHEUS_OWN = ['up'];

async function exported(): Promise<Set<string>> {
  // The queues only answer the queue-depth gauge's collect(); the registries are the apps' own.
  const queue = (name: string) => ({ name, getJobCounts: async () => ({}) }) as unknown as Queue;
  const api = new MetricsService(queue('datasets'), queue('train'), queue('generate'), queue('evaluate'));
  const worker = new WorkerMetrics({ worker: 'test:1', backend: 'wasm' }, () => 0);
  return new Set([...exportedSeries(await api.registry.getMetricsAsJSON()), ...exportedSeries(await worker.registry.getMetricsAsJSON()), ...PROMETHEUS_OWN]);
}

function dashboardQueries(): { where: string; expr: string }[] {
  const dir = path.join(DEPLOY, 'grafana/dashboards');
  return fs.readdirSync(dir).flatMap((file) => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    return dashboard.panels.flatMap((p: { title: string; targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => ({ where: `${file}: ${p.title}`, expr: t.expr })));
  });
}

function ruleQueries(): { where: string; expr: string }[] {
  const dir = path.join(DEPLOY, 'prometheus/rules');
  return fs.readdirSync(dir).flatMap((file) => {
    const rules = parseYaml(fs.readFileSync(path.join(dir, file), 'utf8')) as { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] };
    return rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `${file}: ${r.alert ?? r.record}`, expr: r.expr })));
  });
}

describe('dashboards and alert rules read only metrics that the api and the workers export', () => {
  it('finds the metric names in PromQL, not functions, labels or durations', () => {
    expect(metricNamesIn('histogram_quantile(0.9, sum by (le, kind) (rate(a_bucket{kind="x", y=~"b|c"}[5m]))) / b_total offset 5m > 0.1 and on (job) up == 0').sort()).toEqual(['a_bucket', 'b_total', 'up']);
  });

  it.each([
    ['Grafana dashboards', dashboardQueries],
    ['Prometheus alert rules', ruleQueries],
  ])('%s', async (_what, queries) => {
    const names = await exported();
    const found = queries();
    expect(found.length).toBeGreaterThan(5);
    for (const q of found) {
      const used = metricNamesIn(q.expr);
      expect({ where: q.where, used: used.length > 0 }).toEqual({ where: q.where, used: true });
      for (const name of used) expect({ where: q.where, name, exported: names.has(name) }).toEqual({ where: q.where, name, exported: true });
    }
  });

  it('every worker metric is on the dashboard', async () => {
    const onDashboard = new Set(dashboardQueries().flatMap((q) => metricNamesIn(q.expr)));
    const worker = new WorkerMetrics({ worker: 'test:1', backend: 'wasm' });
    const own = [...exportedSeries(await worker.registry.getMetricsAsJSON())].filter((n) => /^retort_(worker|teacher)_/.test(n));
    const missing = own.filter((n) => !onDashboard.has(n) && !['_sum', '_count', '_bucket'].some((s) => n.endsWith(s) && [...onDashboard].some((d) => d.startsWith(n.slice(0, -s.length)))));
    expect(missing).toEqual([]);
  });
});
