import { Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  ConnectionTestResponseSchema,
  CreateEndpointSchema,
  EndpointResponseSchema,
  UpdateEndpointSchema,
  type CreateEndpointDto,
  type UpdateEndpointDto,
} from '@retort/contracts';
import type { AuthedRequest } from '../auth/auth.guard';
import { Needs } from '../auth/roles.decorator';
import { ID_LIST, parseListQuery, sendPage, TEXT_FILTER } from '../common/list-query';
import { ZodBody } from '../common/zod-body';
import { ApiZodList, ApiZodResponse } from '../common/zod-openapi';
import { EndpointsService } from './endpoints.service';

/** Teachers and serving targets. Admins manage them; the API key is write-only. */
@ApiTags('endpoints')
@Controller('api/v1/endpoints')
export class EndpointsController {
  constructor(@Inject(EndpointsService) private readonly endpoints: EndpointsService) {}

  @Get()
  @Needs('viewer')
  @ApiZodList(EndpointResponseSchema)
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['name', 'createdAt', 'purpose'], { field: 'name', order: 'ASC' }, { id: ID_LIST, name: TEXT_FILTER, purpose: TEXT_FILTER });
    const [items, total] = await this.endpoints.list(q);
    return sendPage(res, 'endpoints', q, items, total);
  }

  @Post()
  @Needs('admin')
  @ApiZodResponse(201, EndpointResponseSchema)
  create(@ZodBody(CreateEndpointSchema) dto: CreateEndpointDto, @Req() req: AuthedRequest) {
    return this.endpoints.create(dto, req.principal);
  }

  @Get(':id')
  @Needs('viewer')
  @ApiZodResponse(200, EndpointResponseSchema)
  show(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.endpoints.get(id);
  }

  /** Any field; `apiKey: null` removes the key. */
  @Patch(':id')
  @Needs('admin')
  @ApiZodResponse(200, EndpointResponseSchema)
  update(@Param('id', new ParseUUIDPipe()) id: string, @ZodBody(UpdateEndpointSchema) dto: UpdateEndpointDto, @Req() req: AuthedRequest) {
    return this.endpoints.update(id, dto, req.principal);
  }

  /** "Test connection": {ok, models?, modelListed?, latencyMs, error?}. */
  @Post(':id/test')
  @HttpCode(200)
  @Needs('operator')
  @ApiZodResponse(200, ConnectionTestResponseSchema)
  test(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthedRequest) {
    return this.endpoints.testConnection(id, req.principal);
  }

  @Delete(':id')
  @HttpCode(204)
  @Needs('admin')
  async remove(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthedRequest) {
    await this.endpoints.remove(id, req.principal);
  }
}
