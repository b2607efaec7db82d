import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditLog } from '@retort/db';
import type { Principal } from '../auth/token.service';

@Injectable()
export class AuditService {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /** Pass the transaction's manager so the audit row commits with the change it describes. */
  async record(
    who: Principal,
    action: string,
    target: { type: string; id?: string | null },
    data: Record<string, any> = {},
    manager: EntityManager = this.ds.manager,
  ): Promise<void> {
    await manager.getRepository(AuditLog).insert({
      actor: who.name,
      actorTokenId: who.tokenId,
      action,
      targetType: target.type,
      targetId: target.id ?? null,
      data,
    });
  }
}
