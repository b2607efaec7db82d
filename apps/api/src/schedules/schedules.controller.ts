import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  CreateScheduleSchema,
  ScheduleDetailResponseSchema,
  ScheduleResponseSchema,
  ScheduleTriggeredResponseSchema,
  UpdateScheduleSchema,
  type CreateScheduleDto,
} from '@retort/contracts';
import type { AuthedRequest } from '../auth/auth.guard';
import { Needs } from '../auth/roles.decorator';
import { parseListQuery, sendPage } from '../common/list-query';
import { parseBody, ZodBody } from '../common/zod-body';
import { ApiZodBody, ApiZodList, ApiZodResponse } from '../common/zod-openapi';
import { SchedulesService } from './schedules.service';

/** `:ref` is a schedule id or name. */
@ApiTags('schedules')
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(@Inject(SchedulesService) private readonly schedules: SchedulesService) {}

  @Get()
  @Needs('viewer')
  @ApiZodList(ScheduleResponseSchema)
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['name', 'createdAt', 'lastFiredAt'], { field: 'name', order: 'ASC' });
    const [items, total] = await this.schedules.list(q);
    return sendPage(res, 'schedules', q, items, total);
  }

  /** {name, cron (default monthly "0 3 1 * *"), timezone, template, gate, autoPromote, enabled}. */
  @Post()
  @Needs('operator')
  @ApiZodResponse(201, ScheduleResponseSchema)
  create(@ZodBody(CreateScheduleSchema) dto: CreateScheduleDto, @Req() req: AuthedRequest) {
    return this.schedules.create(dto, req.principal);
  }

  /** With the next five fire times and the recent ticks. */
  @Get(':ref')
  @Needs('viewer')
  @ApiZodResponse(200, ScheduleDetailResponseSchema)
  show(@Param('ref') ref: string) {
    return this.schedules.show(ref);
  }

  /** Any field; {enabled: false} pauses, {enabled: true} resumes. */
  // The body is parsed after the look-up, not by @ZodBody: an unknown schedule is a 404 whatever the body.
  @Patch(':ref')
  @Needs('operator')
  @ApiZodBody(UpdateScheduleSchema)
  @ApiZodResponse(200, ScheduleResponseSchema)
  async update(@Param('ref') ref: string, @Body() body: unknown, @Req() req: AuthedRequest) {
    const s = await this.schedules.get(ref);
    return this.schedules.update(s.id, parseBody(UpdateScheduleSchema, body), req.principal);
  }

  /** Fire now (still skipped while the previous run is going). */
  @Post(':ref/trigger')
  @HttpCode(202)
  @Needs('operator')
  @ApiZodResponse(202, ScheduleTriggeredResponseSchema)
  trigger(@Param('ref') ref: string, @Req() req: AuthedRequest) {
    return this.schedules.trigger(ref, req.principal);
  }

  @Delete(':ref')
  @HttpCode(204)
  @Needs('operator')
  async remove(@Param('ref') ref: string, @Req() req: AuthedRequest) {
    const s = await this.schedules.get(ref);
    await this.schedules.remove(s.id, req.principal);
  }
}
