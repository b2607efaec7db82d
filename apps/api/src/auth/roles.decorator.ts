import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import type { Role } from '@retort/contracts';

export const ROLE_KEY = 'retort:role';
export const PUBLIC_KEY = 'retort:public';

/**
 * The lowest role a route needs. Every route says it (or is @Public); the guard refuses a route
 * that says neither, so a forgotten decorator fails closed. The role is also in the OpenAPI
 * document (x-retort-role), which is how the tests check every route.
 */
export const Needs = (role: Role) =>
  applyDecorators(SetMetadata(ROLE_KEY, role), ApiBearerAuth(), ApiExtension('x-retort-role', role));

export const Public = () => applyDecorators(SetMetadata(PUBLIC_KEY, true), ApiExtension('x-retort-role', 'public'));
