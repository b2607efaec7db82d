import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { AuditEntryResponseSchema } from '@retort/contracts';
import { AuditLog } from '@retort/db';
import { Needs } from '../auth/roles.decorator';
import { parseListQuery, sendPage } from '../common/list-query';
import { ApiZodList } from '../common/zod-openapi';

@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditController {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  @Get()
  @Needs('viewer')
  @ApiZodList(AuditEntryResponseSchema)
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['id', 'at', 'actor', 'action'], { field: 'id', order: 'DESC' });
    const where: Record<string, unknown> = {};
    for (const key of ['actor', 'action', 'targetType', 'targetId'] as const) {
      if (typeof q.filter[key] === 'string') where[key] = q.filter[key];
    }
    const [items, total] = await this.ds.getRepository(AuditLog).findAndCount({
      where,
      order: { [q.sort.field]: q.sort.order },
      skip: q.skip,
      take: q.take,
    });
    return sendPage(res, 'audit', q, items, total);
  }
}
