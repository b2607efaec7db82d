import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { roleAtLeast, type Role } from '@retort/contracts';
import { PUBLIC_KEY, ROLE_KEY } from './roles.decorator';
import { TokenService, type Principal } from './token.service';

export type AuthedRequest = Request & { principal: Principal };

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TokenService) private readonly tokens: TokenService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const needed = this.reflector.getAllAndOverride<Role | undefined>(ROLE_KEY, targets);
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedException('missing bearer token: send "Authorization: Bearer <token>"');
    const principal = await this.tokens.authenticate(match[1]);
    if (!principal) throw new UnauthorizedException('invalid or revoked token');
    req.principal = principal;
    if (!needed) throw new ForbiddenException('this route declares no role and is closed');
    if (!roleAtLeast(principal.role, needed)) {
      throw new ForbiddenException(`this action needs the ${needed} role; token "${principal.name}" has ${principal.role}`);
    }
    return true;
  }
}
