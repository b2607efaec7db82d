import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLogRepository, Repositories } from '@retort/db';
import type { Principal } from '../auth/token.service';

@Injectable()
export class AuditService {
  constructor(@Inject(Repositories) private readonly db: Repositories) {}

  /** Pass the transaction (its repositories or its manager) so the audit row commits with the change it describes. */
  async record(who: Principal, action: string, target: { type: string; id?: string | null }, data: Record<string, any> = {}, tx: Repositories | EntityManager = this.db): Promise<void> {
    const audit = tx instanceof Repositories ? tx.audit : new AuditLogRepository(tx);
    await audit.record({ actor: { name: who.name, tokenId: who.tokenId }, action, target, data });
  }
}
