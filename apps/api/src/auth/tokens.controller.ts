import { Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CreatedTokenResponseSchema, CreateTokenSchema, PrincipalResponseSchema, TokenResponseSchema, type CreateTokenDto } from '@retort/contracts';
import { Repositories } from '@retort/db';
import { AuditService } from '../audit/audit.service';
import { idFilter, parseListQuery, sendPage } from '../common/list-query';
import { ZodBody } from '../common/zod-body';
import { ApiZodList, ApiZodResponse } from '../common/zod-openapi';
import type { AuthedRequest } from './auth.guard';
import { Needs } from './roles.decorator';
import { TokenService } from './token.service';

@ApiTags('auth')
@Controller('api/v1')
export class TokensController {
  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /** Who the caller is; the admin console's login checks a token with it. */
  @Get('me')
  @Needs('viewer')
  @ApiZodResponse(200, PrincipalResponseSchema)
  me(@Req() req: AuthedRequest) {
    return { name: req.principal.name, role: req.principal.role };
  }

  @Get('tokens')
  @Needs('admin')
  @ApiZodList(TokenResponseSchema)
  async list(@Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const q = parseListQuery(query, ['name', 'role', 'createdAt', 'lastUsedAt'], { field: 'createdAt', order: 'DESC' });
    const [items, total] = await this.db.apiTokens.list({ ids: idFilter(q) }, q);
    return sendPage(res, 'tokens', q, items, total);
  }

  /** The token itself is in this answer only; the database keeps its sha256. */
  @Post('tokens')
  @Needs('admin')
  @ApiZodResponse(201, CreatedTokenResponseSchema)
  async create(@ZodBody(CreateTokenSchema) dto: CreateTokenDto, @Req() req: AuthedRequest) {
    const { token, row } = await this.tokens.create(dto.name, dto.role);
    await this.audit.record(req.principal, 'token.create', { type: 'api_token', id: row.id }, { name: row.name, role: row.role });
    return { ...row, token };
  }

  @Delete('tokens/:id')
  @HttpCode(200)
  @Needs('admin')
  @ApiZodResponse(200, TokenResponseSchema)
  async revoke(@Param('id', new ParseUUIDPipe()) id: string, @Req() req: AuthedRequest) {
    const row = await this.db.apiTokens.findById(id);
    if (!row) throw new NotFoundException(`token ${id} does not exist`);
    if (!row.revokedAt) {
      await this.db.apiTokens.revoke(row);
      await this.audit.record(req.principal, 'token.revoke', { type: 'api_token', id }, { name: row.name });
    }
    return row;
  }
}
