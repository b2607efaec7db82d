import { Controller, Get, HttpCode, Inject, Param, ParseIntPipe, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Needs } from '../auth/roles.decorator';
import { ID_LIST, parseListQuery, sendPage, TEXT_FILTER } from '../common/list-query';
import { ProblemException } from '../common/problem';
import {
  AdapterComparisonResponseSchema,
  AdapterDetailResponseSchema,
  AdapterResponseSchema,
  AdapterVersionResponseSchema,
  PromoteSchema,
  RollbackSchema,
  StageChangeResponseSchema,
  type PromoteDto,
  type RollbackDto,
} from '@retort/contracts';
import type { AuthedRequest } from '../auth/auth.guard';
import { ZodBody } from '../common/zod-body';
import { ApiZodList, ApiZodResponse } from '../common/zod-openapi';
import { AdaptersService } from './adapters.service';
import { PromotionService } from './promotion.service';

/** The adapter registry: adapters per base model, immutable versions with lineage. `:ref` is an id or a name. */
@ApiTags('adapters')
@Controller('api/v1/adapters')
export class AdaptersController {
  constructor(
    @Inject(AdaptersService) private readonly adapters: AdaptersService,
    @Inject(PromotionService) private readonly promotion: PromotionService,
  ) {}

  @Get()
  @Needs('viewer')
  @ApiZodList(AdapterResponseSchema)
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['name', 'createdAt'], { field: 'name', order: 'ASC' }, { id: ID_LIST, name: TEXT_FILTER });
    const [items, total] = await this.adapters.list(q);
    return sendPage(res, 'adapters', q, items, total);
  }

  /** The adapter with its versions, stages, stage history and deployments. */
  @Get(':ref')
  @Needs('viewer')
  @ApiZodResponse(200, AdapterDetailResponseSchema)
  show(@Param('ref') ref: string) {
    return this.adapters.show(ref);
  }

  /** ?a=1&b=2: the two versions' metrics side by side. */
  @Get(':ref/compare')
  @Needs('viewer')
  @ApiZodResponse(200, AdapterComparisonResponseSchema)
  compare(@Param('ref') ref: string, @Query('a') a: string, @Query('b') b: string) {
    if (!/^\d+$/.test(a ?? '') || !/^\d+$/.test(b ?? '')) throw new ProblemException(400, 'validation', 'give two version numbers as ?a=1&b=2', { errors: [{ path: 'a', message: 'version number' }] });
    return this.adapters.compare(ref, Number(a), Number(b));
  }

  @Get(':ref/versions/:version')
  @Needs('viewer')
  @ApiZodResponse(200, AdapterVersionResponseSchema)
  version(@Param('ref') ref: string, @Param('version', ParseIntPipe) version: number) {
    return this.adapters.version(ref, version);
  }

  /** A tar of the PEFT directory (adapter_model.safetensors, adapter_config.json, retort.json). */
  @Get(':ref/versions/:version/download')
  @Needs('viewer')
  async download(@Param('ref') ref: string, @Param('version', ParseIntPipe) version: number, @Res({ passthrough: true }) res: Response) {
    const { name, stream } = await this.adapters.download(ref, version);
    res.setHeader('Content-Type', 'application/x-tar');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    return new StreamableFile(stream);
  }

  /** {version, stage, endpoints?}: load it on the serving endpoints, smoke-test, then re-point the stage. */
  @Post(':ref/promote')
  @HttpCode(200)
  @Needs('admin')
  @ApiZodResponse(200, StageChangeResponseSchema)
  promote(@Param('ref') ref: string, @ZodBody(PromoteSchema) dto: PromoteDto, @Req() req: AuthedRequest) {
    return this.promotion.promote(ref, dto, req.principal);
  }

  /** {stage}: back to the version the stage served before its last change. */
  @Post(':ref/rollback')
  @HttpCode(200)
  @Needs('admin')
  @ApiZodResponse(200, StageChangeResponseSchema)
  rollback(@Param('ref') ref: string, @ZodBody(RollbackSchema) dto: RollbackDto, @Req() req: AuthedRequest) {
    return this.promotion.rollback(ref, dto, req.principal);
  }
}
