import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { applyJsonPatch, type PatchOp } from './json-patch';

/** A Kubernetes object as YAML gives it. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: any };

interface Generator {
  name: string;
  literals?: string[];
  behavior?: 'create' | 'merge';
  type?: string;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  generatorOptions?: { disableNameSuffixHash?: boolean };
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { target: { kind: string; name: string }; patch: string }[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'generatorOptions', 'configMapGenerator', 'secretGenerator', 'images', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'ClusterTriggerAuthentication']);

/**
 * Renders a kustomization directory the way `kubectl kustomize` does, for the subset of kustomize
 * that deploy/k8s uses: resources (files and directories), namespace, configMap/secret generators
 * from literals without name hashes, images, and inline JSON 6902 patches. Anything else is refused
 * rather than rendered wrongly. (CI machines have no kustomize; where kubectl is present, the test
 * compares the two.)
 */
export function renderKustomization(dir: string): K8sObject[] {
  const file = path.join(dir, 'kustomization.yaml');
  const k = parseYaml(fs.readFileSync(file, 'utf8')) as Kustomization;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length) throw new Error(`${file}: ${unsupported.join(', ')} not supported by this renderer`);
  const objects: K8sObject[] = [];
  for (const entry of k.resources ?? []) {
    const at = path.join(dir, entry);
    if (fs.statSync(at).isDirectory()) objects.push(...renderKustomization(at));
    else for (const doc of parseAllDocuments(fs.readFileSync(at, 'utf8'))) if (doc.contents) objects.push(doc.toJSON() as K8sObject);
  }
  const generators = [...(k.configMapGenerator ?? []).map((g) => ({ g, kind: 'ConfigMap' })), ...(k.secretGenerator ?? []).map((g) => ({ g, kind: 'Secret' }))];
  if (generators.length && !k.generatorOptions?.disableNameSuffixHash) throw new Error(`${file}: generated names with hash suffixes are not supported by this renderer`);
  for (const { g, kind } of generators) generate(objects, g, kind, file);
  for (const p of k.patches ?? []) {
    const target = objects.filter((o) => o.kind === p.target.kind && o.metadata.name === p.target.name);
    if (target.length !== 1) throw new Error(`${file}: patch target ${p.target.kind}/${p.target.name} matches ${target.length} objects`);
    const ops = parseYaml(p.patch) as PatchOp[];
    if (!Array.isArray(ops)) throw new Error(`${file}: only JSON 6902 patches (a list of operations) are supported by this renderer`);
    applyJsonPatch(target[0], ops);
  }
  for (const image of k.images ?? []) for (const o of objects) retag(o, image);
  if (k.namespace) for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  return objects;
}

function generate(objects: K8sObject[], g: Generator, kind: string, file: string): void {
  const data: Record<string, string> = {};
  for (const literal of g.literals ?? []) {
    const eq = literal.indexOf('=');
    if (eq < 1) throw new Error(`${file}: ${g.name}: literal "${literal}" is not KEY=VALUE`);
    const value = literal.slice(eq + 1);
    data[literal.slice(0, eq)] = kind === 'Secret' ? Buffer.from(value).toString('base64') : value;
  }
  const existing = objects.find((o) => o.kind === kind && o.metadata.name === g.name);
  if ((g.behavior ?? 'create') === 'merge') {
    if (!existing) throw new Error(`${file}: ${kind} ${g.name} to merge into does not exist`);
    existing.data = { ...existing.data, ...data };
    return;
  }
  if (existing) throw new Error(`${file}: ${kind} ${g.name} exists already (use behavior: merge)`);
  objects.push({ apiVersion: 'v1', kind, metadata: { name: g.name }, ...(kind === 'Secret' ? { type: g.type ?? 'Opaque' } : {}), data });
}

/** The pod specs of the workload kinds deploy/k8s uses. */
export function podSpecs(o: K8sObject): any[] {
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind)) return [o.spec?.template?.spec].filter(Boolean);
  if (o.kind === 'CronJob') return [o.spec?.jobTemplate?.spec?.template?.spec].filter(Boolean);
  return [];
}

function retag(o: K8sObject, image: { name: string; newName?: string; newTag?: string }): void {
  for (const spec of podSpecs(o)) {
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const m = /^([^@]+?)(?::([^:/@]+))?(@.+)?$/.exec(c.image);
      if (!m || m[1] !== image.name) continue;
      c.image = `${image.newName ?? m[1]}${image.newTag !== undefined ? `:${image.newTag}` : m[2] ? `:${m[2]}` : ''}${m[3] ?? ''}`;
    }
  }
}
