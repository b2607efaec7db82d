import type { EntityManager } from 'typeorm';
import { AuditLog } from '../entities';
import { findPage, type Page } from './page';

export interface AuditEntry {
  actor: { name: string; tokenId: string | null };
  action: string;
  target: { type: string; id?: string | null };
  data?: Record<string, any>;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
}

export class AuditLogRepository {
  constructor(private readonly m: EntityManager) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.m.getRepository(AuditLog).insert({
      actor: entry.actor.name,
      actorTokenId: entry.actor.tokenId,
      action: entry.action,
      targetType: entry.target.type,
      targetId: entry.target.id ?? null,
      data: entry.data ?? {},
    });
  }

  list(filter: AuditFilter, page: Page): Promise<[AuditLog[], number]> {
    return findPage(this.m.getRepository(AuditLog), filter, page);
  }

  /** Everything recorded against one target, oldest first. */
  forTarget(type: string, id: string): Promise<AuditLog[]> {
    return this.m.getRepository(AuditLog).find({ where: { targetType: type, targetId: id }, order: { id: 'ASC' } });
  }
}
