import type { EntityManager } from 'typeorm';
import { Deployment, type Stage } from '../entities';

/** A deployment as an adapter's page lists it: with the version number and the endpoint's name. */
export type DeploymentView = Deployment & { version: number; endpoint: string };

/** Versions loaded (or being loaded) on serving endpoints. */
export class DeploymentRepository {
  constructor(private readonly m: EntityManager) {}

  private get repo() {
    return this.m.getRepository(Deployment);
  }

  /** A deployment just started: loading. */
  start(fields: Pick<Deployment, 'versionId' | 'endpointId' | 'stage' | 'servedAs'>): Promise<Deployment> {
    return this.repo.save(this.repo.create({ ...fields, status: 'loading', error: null, log: [] }));
  }

  async serving(id: string, log: Record<string, any>[]): Promise<void> {
    await this.repo.update(id, { status: 'serving', log });
  }

  async failed(id: string, error: string, log: Record<string, any>[]): Promise<void> {
    await this.repo.update(id, { status: 'failed', error, log });
  }

  /** Whatever else the endpoint served for the stage is unloaded now. */
  async unloadOthers(endpointId: string, stage: Stage, keepId: string): Promise<void> {
    await this.m.query(`UPDATE deployment SET status = 'unloaded', updated_at = now() WHERE endpoint_id = $1 AND stage = $2 AND status = 'serving' AND id <> $3`, [endpointId, stage, keepId]);
  }

  /** The adapter's latest deployments, most recently changed first. */
  ofAdapter(adapterId: string, limit: number): Promise<DeploymentView[]> {
    return this.m.query(
      `SELECT d.id, d.version_id AS "versionId", v.version, d.endpoint_id AS "endpointId", e.name AS endpoint, d.stage, d.served_as AS "servedAs",
              d.status, d.error, d.log, d.updated_at AS "updatedAt", d.created_at AS "createdAt"
       FROM deployment d JOIN adapter_version v ON v.id = d.version_id JOIN endpoint e ON e.id = d.endpoint_id
       WHERE v.adapter_id = $1 ORDER BY d.updated_at DESC LIMIT $2`,
      [adapterId, limit],
    );
  }
}
