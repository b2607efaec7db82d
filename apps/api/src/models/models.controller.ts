import { Controller, Get, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { BaseModelResponseSchema, RegisterModelSchema, type RegisterModelDto } from '@retort/contracts';
import type { AuthedRequest } from '../auth/auth.guard';
import { Needs } from '../auth/roles.decorator';
import { ID_LIST, parseListQuery, sendPage, TEXT_FILTER } from '../common/list-query';
import { ZodBody } from '../common/zod-body';
import { ApiZodList, ApiZodResponse } from '../common/zod-openapi';
import { ModelsService } from './models.service';

@ApiTags('models')
@Controller('api/v1/models')
export class ModelsController {
  constructor(@Inject(ModelsService) private readonly models: ModelsService) {}

  @Get()
  @Needs('viewer')
  @ApiZodList(BaseModelResponseSchema)
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['name', 'createdAt'], { field: 'name', order: 'ASC' }, { id: ID_LIST, name: TEXT_FILTER });
    const [items, total] = await this.models.list(q);
    return sendPage(res, 'models', q, items, total);
  }

  /** {name, path}: a Hugging Face layout directory readable by the api and every worker. */
  @Post()
  @Needs('operator')
  @ApiZodResponse(201, BaseModelResponseSchema)
  register(@ZodBody(RegisterModelSchema) dto: RegisterModelDto, @Req() req: AuthedRequest) {
    return this.models.register(dto, req.principal);
  }

  @Get(':id')
  @Needs('viewer')
  @ApiZodResponse(200, BaseModelResponseSchema)
  show(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.models.get(id);
  }
}
