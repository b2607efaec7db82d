import { In, type EntityManager } from 'typeorm';
import { AdapterStage, StageHistory, type Stage } from '../entities';

export type StageChange = Pick<StageHistory, 'adapterId' | 'stage' | 'fromVersionId' | 'toVersionId' | 'action' | 'actor' | 'detail'>;

/** Which version each stage of an adapter points at, and the history of every change. */
export class AdapterStageRepository {
  constructor(private readonly m: EntityManager) {}

  find(adapterId: string, stage: Stage): Promise<AdapterStage | null> {
    return this.m.getRepository(AdapterStage).findOneBy({ adapterId, stage });
  }

  ofAdapter(adapterId: string): Promise<AdapterStage[]> {
    return this.m.getRepository(AdapterStage).findBy({ adapterId });
  }

  /** The version in production, if any. */
  async productionVersionId(adapterId: string): Promise<string | null> {
    return (await this.find(adapterId, 'production'))?.versionId ?? null;
  }

  async point(adapterId: string, stage: Stage, versionId: string): Promise<void> {
    await this.m.query(
      `INSERT INTO adapter_stage (adapter_id, stage, version_id, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (adapter_id, stage) DO UPDATE SET version_id = EXCLUDED.version_id, updated_at = now()`,
      [adapterId, stage, versionId],
    );
  }

  async recordChange(change: StageChange): Promise<void> {
    await this.m.getRepository(StageHistory).insert(change);
  }

  /** Newest first. */
  history(adapterId: string, limit: number): Promise<StageHistory[]> {
    return this.m.getRepository(StageHistory).find({ where: { adapterId }, order: { id: 'DESC' }, take: limit });
  }

  /** The stage's last promotion or rollback (failed attempts are not changes). */
  lastChange(adapterId: string, stage: Stage): Promise<StageHistory | null> {
    return this.m.getRepository(StageHistory).findOne({ where: { adapterId, stage, action: In(['promote', 'rollback']) }, order: { id: 'DESC' } });
  }
}
