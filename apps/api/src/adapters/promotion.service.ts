import { Inject, Injectable } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PromoteDto, RetortConfig, RollbackDto } from '@retort/contracts';
import { Repositories, type Adapter, type AdapterVersion, type Endpoint, type StageHistory, type Stage } from '@retort/db';
import { promoteAdapter, rollbackAdapter, servingClientFor, toServerPath, type AdapterVersionRef, type PromotionResult } from '@retort/serving';
import type { ArtifactStore } from '@retort/storage';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { ProblemException } from '../common/problem';
import { ARTIFACT_STORE, CONFIG } from '../infra/tokens';
import { ADAPTER_FILES, AdaptersService } from './adapters.service';

/** What clients send as "model": the adapter's name for production, "<name>-staging" for staging. */
export const servedAs = (adapter: string, stage: Stage) => (stage === 'production' ? adapter : `${adapter}-staging`);

/**
 * Moves a stage of an adapter to a version: writes the PEFT files where the serving hosts read
 * them, loads the version on every serving endpoint with a smoke test and a rollback if anything
 * fails (libs/serving), and only then re-points the stage. A failure leaves the stage where it was,
 * with the error in the deployment, the stage history and the audit log.
 */
@Injectable()
export class PromotionService {
  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(CONFIG) private readonly config: RetortConfig,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(AdaptersService) private readonly adapters: AdaptersService,
  ) {}

  async promote(ref: string, dto: PromoteDto, who: Principal) {
    const adapter = await this.adapters.get(ref);
    const target = await this.adapters.version(adapter.id, dto.version);
    return this.move(adapter, dto.stage, target, who, 'promote', dto.endpoints);
  }

  /** Back to the version the stage pointed at before its last change. */
  async rollback(ref: string, dto: RollbackDto, who: Principal) {
    const adapter = await this.adapters.get(ref);
    const last = await this.db.adapterStages.lastChange(adapter.id, dto.stage);
    if (!last?.fromVersionId) throw new ProblemException(409, 'nothing-to-roll-back', `adapter ${adapter.name} has no earlier ${dto.stage} version to go back to`);
    const target = await this.db.adapters.findVersionById(last.fromVersionId);
    if (!target) throw new Error(`adapter version ${last.fromVersionId} does not exist`);
    return this.move(adapter, dto.stage, target, who, 'rollback', dto.endpoints);
  }

  private async move(adapter: Adapter, stage: Stage, target: AdapterVersion, who: Principal, action: 'promote' | 'rollback', endpointRefs?: string[]) {
    const current = await this.db.adapterStages.find(adapter.id, stage);
    const previous = current ? await this.db.adapters.findVersionById(current.versionId) : null;
    if (previous?.id === target.id) throw new ProblemException(409, 'already-there', `${stage} of ${adapter.name} is already version ${target.version}`);
    const endpoints = await this.endpoints(endpointRefs);
    const alias = servedAs(adapter.name, stage);
    const results: { endpoint: string; ok: boolean; error?: string; result?: PromotionResult }[] = [];
    for (const e of endpoints) {
      const deployment = await this.db.deployments.start({ versionId: target.id, endpointId: e.id, stage, servedAs: alias });
      try {
        const client = servingClientFor(e.kind, { baseUrl: e.baseUrl, apiKey: await this.db.endpoints.apiKey(e.id), timeoutMs: e.timeoutMs });
        const request = { alias, version: await this.materialise(adapter, target), previous: previous ? await this.materialise(adapter, previous) : undefined };
        const options = { smoke: { prompt: 'Hello', maxTokens: 4 } };
        const result = action === 'promote' ? await promoteAdapter(client, request, options) : await rollbackAdapter(client, { alias, to: request.version, from: request.previous }, options);
        await this.db.deployments.serving(deployment.id, result.steps as unknown as Record<string, any>[]);
        await this.db.deployments.unloadOthers(e.id, stage, deployment.id);
        results.push({ endpoint: e.name, ok: true, result });
      } catch (err) {
        const message = (err as Error).message;
        await this.db.deployments.failed(deployment.id, message, ((err as { steps?: unknown[] }).steps ?? []) as Record<string, any>[]);
        results.push({ endpoint: e.name, ok: false, error: message });
      }
    }
    const failed = results.filter((r) => !r.ok);
    if (failed.length) {
      await this.history(adapter, stage, previous, target, 'failed', who, { attempted: action, failures: failed });
      await this.audit.record(who, `adapter.${action}.failed`, { type: 'adapter', id: adapter.id }, { stage, from: previous?.version ?? null, to: target.version, failures: failed });
      throw new ProblemException(502, 'promotion-failed', `${action} of ${adapter.name} v${target.version} to ${stage} failed on ${failed.map((f) => f.endpoint).join(', ')}; ${stage} stays on ${previous ? `v${previous.version}` : 'no version'}: ${failed[0].error}`);
    }
    await this.db.adapterStages.point(adapter.id, stage, target.id);
    await this.history(adapter, stage, previous, target, action, who, { endpoints: results.map((r) => r.endpoint) });
    await this.audit.record(who, `adapter.${action}`, { type: 'adapter', id: adapter.id }, { stage, from: previous?.version ?? null, to: target.version, endpoints: results.map((r) => r.endpoint) });
    return { adapter: adapter.name, stage, version: target.version, previous: previous?.version ?? null, servedAs: alias, endpoints: results.map((r) => ({ endpoint: r.endpoint, steps: r.result?.steps })) };
  }

  /** The version's PEFT files in the shared serving directory, and the path the servers see. */
  private async materialise(adapter: Adapter, v: AdapterVersion): Promise<AdapterVersionRef> {
    const dir = path.join(this.config.servingDir, adapter.name, `v${v.version}`);
    if (!ADAPTER_FILES.every((f) => fs.existsSync(path.join(dir, f)))) {
      const tmp = `${dir}.tmp-${process.pid}`;
      fs.mkdirSync(tmp, { recursive: true });
      for (const f of ADAPTER_FILES) fs.writeFileSync(path.join(tmp, f), await this.store.getBuffer(v.artifactPrefix + f));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    }
    const mapping = this.config.servingServerRoot ? { localRoot: this.config.servingDir, serverRoot: this.config.servingServerRoot } : undefined;
    return { name: `${adapter.name}-v${v.version}`, path: toServerPath(dir, mapping) };
  }

  private async endpoints(refs?: string[]): Promise<Endpoint[]> {
    const all = await this.db.endpoints.serving();
    if (!refs) return all;
    return refs.map((ref) => {
      const e = all.find((x) => x.id === ref || x.name === ref);
      if (!e) throw new ProblemException(400, 'validation', `no serving endpoint "${ref}"`, { errors: [{ path: 'endpoints', message: `unknown serving endpoint ${ref}` }] });
      return e;
    });
  }

  private async history(adapter: Adapter, stage: Stage, from: AdapterVersion | null, to: AdapterVersion, action: StageHistory['action'], who: Principal, detail: Record<string, unknown>) {
    await this.db.adapterStages.recordChange({ adapterId: adapter.id, stage, fromVersionId: from?.id ?? null, toVersionId: to.id, action, actor: who.name, detail: detail as Record<string, any> });
  }
}
