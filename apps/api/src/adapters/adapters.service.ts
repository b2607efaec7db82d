import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { Repositories, type Adapter, type AdapterVersion } from '@retort/db';
import type { ArtifactStore } from '@retort/storage';
import { idFilter, textFilter, type ListQuery } from '../common/list-query';
import { ARTIFACT_STORE } from '../infra/tokens';

export const ADAPTER_FILES = ['adapter_model.safetensors', 'adapter_config.json'];

export type AdapterView = Adapter & { baseModel: string | null; latestVersion: number | null; stages: Record<string, number> };

@Injectable()
export class AdaptersService {
  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  async list(q: ListQuery): Promise<[AdapterView[], number]> {
    const [items, total] = await this.db.adapters.list({ ids: idFilter(q), name: textFilter(q, 'name') }, q);
    return [await Promise.all(items.map((a) => this.view(a))), total];
  }

  /** By id or name. */
  async get(ref: string): Promise<Adapter> {
    const adapter = await this.db.adapters.findByRef(ref);
    if (!adapter) throw new NotFoundException(`adapter ${ref} does not exist`);
    return adapter;
  }

  async show(ref: string) {
    const adapter = await this.get(ref);
    const [view, versions, history, deployments] = await Promise.all([
      this.view(adapter),
      this.db.adapters.versionsOf(adapter.id),
      this.db.adapterStages.history(adapter.id, 100),
      this.db.deployments.ofAdapter(adapter.id, 100),
    ]);
    return { ...view, versions, history, deployments };
  }

  async version(ref: string, version: number): Promise<AdapterVersion> {
    const adapter = await this.get(ref);
    const v = await this.db.adapters.findVersion(adapter.id, version);
    if (!v) throw new NotFoundException(`adapter ${adapter.name} has no version ${version}`);
    return v;
  }

  /** The PEFT directory as a tar stream: adapter files plus retort.json with the lineage. */
  async download(ref: string, version: number): Promise<{ name: string; stream: Readable }> {
    const adapter = await this.get(ref);
    const v = await this.version(adapter.id, version);
    const tar = pack();
    const dir = `${adapter.name}-v${v.version}`;
    const add = (name: string, body: Buffer) =>
      new Promise<void>((resolve, reject) => tar.entry({ name: `${dir}/${name}`, size: body.length, mode: 0o644 }, body, (err) => (err ? reject(err) : resolve())));
    void (async () => {
      try {
        for (const f of ADAPTER_FILES) await add(f, await this.store.getBuffer(v.artifactPrefix + f));
        await add('retort.json', Buffer.from(JSON.stringify({ adapter: adapter.name, version: v.version, sha256: v.sha256, lineage: v.lineage, metrics: v.metrics, gate: v.gate }, null, 2) + '\n'));
        tar.finalize();
      } catch (err) {
        tar.destroy(err as Error);
      }
    })();
    return { name: `${dir}.tar`, stream: tar as unknown as Readable };
  }

  /** Two versions' metrics side by side, with the difference b - a for every number. */
  async compare(ref: string, a: number, b: number) {
    const [va, vb] = await Promise.all([this.version(ref, a), this.version(ref, b)]);
    const flat = (o: Record<string, any>, prefix = ''): Record<string, number> =>
      Object.entries(o ?? {}).reduce<Record<string, number>>((acc, [k, v]) => {
        if (typeof v === 'number') acc[prefix + k] = v;
        else if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(acc, flat(v, `${prefix}${k}.`));
        return acc;
      }, {});
    const fa = flat(va.metrics);
    const fb = flat(vb.metrics);
    const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
    return { a: va, b: vb, metrics: keys.map((k) => ({ metric: k, a: fa[k] ?? null, b: fb[k] ?? null, delta: fa[k] !== undefined && fb[k] !== undefined ? fb[k] - fa[k] : null })) };
  }

  private async view(a: Adapter): Promise<AdapterView> {
    const base = await this.db.baseModels.findById(a.baseModelId);
    const latest = await this.db.adapters.latestVersion(a.id);
    const stages = await this.db.adapterStages.ofAdapter(a.id);
    const versions = await this.db.adapters.findVersionsByIds(stages.map((s) => s.versionId));
    return {
      ...a,
      baseModel: base?.name ?? null,
      latestVersion: latest?.version ?? null,
      stages: Object.fromEntries(stages.map((s) => [s.stage, versions.find((v) => v.id === s.versionId)?.version ?? 0])),
    };
  }
}
