import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AuditEntryResponseSchema } from '@retort/contracts';
import { Repositories, type AuditFilter } from '@retort/db';
import { Needs } from '../auth/roles.decorator';
import { parseListQuery, sendPage, TEXT_FILTER } from '../common/list-query';
import { ApiZodList } from '../common/zod-openapi';

@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditController {
  constructor(@Inject(Repositories) private readonly db: Repositories) {}

  @Get()
  @Needs('viewer')
  @ApiZodList(AuditEntryResponseSchema)
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['id', 'at', 'actor', 'action'], { field: 'id', order: 'DESC' }, { actor: TEXT_FILTER, action: TEXT_FILTER, targetType: TEXT_FILTER, targetId: TEXT_FILTER });
    const filter: AuditFilter = {};
    for (const key of ['actor', 'action', 'targetType', 'targetId'] as const) {
      const value = q.filter[key];
      if (typeof value === 'string') filter[key] = value;
    }
    const [items, total] = await this.db.audit.list(filter, q);
    return sendPage(res, 'audit', q, items, total);
  }
}
