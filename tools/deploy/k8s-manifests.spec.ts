import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { QueueKeys } from 'bullmq';
import { parseAllDocuments } from 'yaml';
import { loadConfig, WORKER_QUEUES } from '@retort/contracts';
import { podSpecs, renderKustomization, type K8sObject } from './kustomize';

const ROOT = path.resolve(__dirname, '../../deploy/k8s');
const KUSTOMIZATIONS = ['base', 'pools/node-gpu', 'pools/webgpu', 'overlays/production', 'overlays/dev'];
const OVERLAYS = ['overlays/production', 'overlays/dev'];

/** The model class of an object's apiVersion and kind, from kubernetes-models and @kubernetes-models/keda. */
function modelOf(o: K8sObject): new (data: object) => { validate(): void } {
  const group = o.apiVersion.includes('/') ? o.apiVersion : `v1`;
  const pkg = group.startsWith('keda.sh/') ? `@kubernetes-models/keda/${group}` : `kubernetes-models/${group}`;
  const model = require(pkg)[o.kind];
  if (!model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return model;
}

const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const workerContainer = (d: K8sObject) => podSpecs(d)[0].containers.find((c: { name: string }) => c.name === 'worker');
const queuesOf = (d: K8sObject): string[] => {
  const args: string[] = workerContainer(d).args;
  return args[args.indexOf('--queues') + 1].split(',');
};

describe('Kubernetes manifests (deploy/k8s)', () => {
  it.each(KUSTOMIZATIONS)('%s renders, and every object is valid against the Kubernetes and KEDA schemas', (dir) => {
    const objects = renderKustomization(path.join(ROOT, dir));
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      const Model = modelOf(o);
      expect(() => new Model(o).validate()).not.toThrow();
    }
  });

  it('the schema check refuses a broken object', () => {
    const [deployment] = byKind(renderKustomization(path.join(ROOT, 'base')), 'Deployment');
    const broken = { ...deployment, spec: { ...deployment.spec, replicas: 'two', selector: undefined } };
    expect(() => new (modelOf(broken))(broken).validate()).toThrow(/replicas|selector/);
  });

  const kubectl = (() => {
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  // Secrets' base64 may be folded over lines by kubectl; the values are what matter.
  const normalized = (objects: K8sObject[]) =>
    Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o.kind === 'Secret' ? { ...o, data: Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, String(v).replace(/\s/g, '')])) } : o]));
  (kubectl ? it.each(KUSTOMIZATIONS) : it.skip.each(KUSTOMIZATIONS))('%s renders exactly as kubectl kustomize does', (dir) => {
    const theirs = parseAllDocuments(execFileSync('kubectl', ['kustomize', path.join(ROOT, dir)], { encoding: 'utf8' })).map((d) => d.toJSON() as K8sObject);
    expect(normalized(renderKustomization(path.join(ROOT, dir)))).toEqual(normalized(theirs));
  });

  describe.each(OVERLAYS)('%s', (overlay) => {
    const objects = renderKustomization(path.join(ROOT, overlay));
    const configMap = byKind(objects, 'ConfigMap').find((c) => c.metadata.name === 'retort-config')!;
    // The prefix the api and workers derive from this ConfigMap, and BullMQ's own key names.
    const keys = new QueueKeys(loadConfig({ RETORT_QUEUE_PREFIX: configMap.data.RETORT_QUEUE_PREFIX }).queuePrefix);
    const workers = byKind(objects, 'Deployment').filter((d) => workerContainer(d));

    it('every worker queue of libs/contracts has a worker pool, and pools consume only worker queues', () => {
      const consumed = new Set(workers.flatMap(queuesOf));
      expect([...consumed].sort()).toEqual([...WORKER_QUEUES].sort());
    });

    it("each pool's ScaledObject watches exactly its queues' BullMQ wait and active lists, summed", () => {
      const scaled = byKind(objects, 'ScaledObject');
      expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(workers.map((w) => w.metadata.name).sort());
      const auth = byKind(objects, 'TriggerAuthentication').map((t) => t.metadata.name);
      for (const s of scaled) {
        const queues = queuesOf(workers.find((w) => w.metadata.name === s.spec.scaleTargetRef.name)!);
        const lists = s.spec.triggers.map((t: any) => t.metadata.listName);
        expect(lists.sort()).toEqual(queues.flatMap((q) => [keys.toKey(q, 'wait'), keys.toKey(q, 'active')]).sort());
        for (const t of s.spec.triggers) {
          expect(t.type).toBe('redis');
          expect(auth).toContain(t.authenticationRef.name);
        }
        const terms = s.spec.advanced.scalingModifiers.formula.split('+').map((x: string) => x.trim());
        expect(terms.sort()).toEqual(s.spec.triggers.map((t: any) => t.name).sort());
      }
    });

    it('GPU pools scale to zero, ask for one GPU and land on GPU nodes; workers drain within their grace period', () => {
      for (const w of workers) {
        const spec = podSpecs(w)[0];
        const scaledObject = byKind(objects, 'ScaledObject').find((s) => s.spec.scaleTargetRef.name === w.metadata.name)!;
        expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(300);
        expect(workerContainer(w).livenessProbe.httpGet.path).toBe('/healthz');
        if (!queuesOf(w).includes('train') || w.metadata.name === 'retort-worker-cpu') continue;
        expect(scaledObject.spec.minReplicaCount).toBe(0);
        expect(workerContainer(w).resources.limits['nvidia.com/gpu']).toBe(1);
        expect(spec.nodeSelector).toBeDefined();
        expect(spec.tolerations.some((t: { key: string }) => t.key === 'nvidia.com/gpu')).toBe(true);
      }
    });

    it('every container has resources, every Deployment a probe on its health endpoint and a disruption budget', () => {
      const budgets = byKind(objects, 'PodDisruptionBudget').map((p) => p.spec.selector.matchLabels['app.kubernetes.io/name']);
      for (const d of byKind(objects, 'Deployment')) {
        expect(budgets).toContain(d.spec.selector.matchLabels['app.kubernetes.io/name']);
        for (const c of podSpecs(d)[0].containers) {
          expect(c.resources?.requests).toBeDefined();
          expect((c.readinessProbe ?? c.livenessProbe).httpGet.path).toMatch(/^\/health/);
        }
      }
    });
  });

  it('the dev Secret holds every key the manifests read from retort-secrets; production reads the same keys', () => {
    const keysRead = (objects: K8sObject[]) => {
      const found = new Set<string>();
      const walk = (v: any) => {
        if (!v || typeof v !== 'object') return;
        if (v.secretKeyRef?.name === 'retort-secrets') found.add(v.secretKeyRef.key);
        if (v.name === 'retort-secrets' && v.key) found.add(v.key);
        Object.values(v).forEach(walk);
      };
      objects.forEach(walk);
      return found;
    };
    const dev = renderKustomization(path.join(ROOT, 'overlays/dev'));
    const secret = byKind(dev, 'Secret').find((s) => s.metadata.name === 'retort-secrets')!;
    const devKeys = Object.keys(secret.data);
    for (const key of keysRead(dev)) expect(devKeys).toContain(key);
    for (const key of keysRead(renderKustomization(path.join(ROOT, 'overlays/production')))) expect(devKeys).toContain(key);
    // The env the api and workers get from the Secret (envFrom) and the ConfigMap is a valid configuration.
    const configMap = byKind(dev, 'ConfigMap').find((c) => c.metadata.name === 'retort-config')!;
    const env = { ...configMap.data, ...Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])) };
    expect(() => loadConfig(env)).not.toThrow();
  });
});
