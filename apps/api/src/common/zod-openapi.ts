import { ApiBody, ApiResponse, type SchemaObject } from '@nestjs/swagger';
import { z, type ZodType } from 'zod';

/**
 * A contracts schema as an OpenAPI 3.0 schema object: what a client may send (`input`: defaults
 * optional) or what it gets back (`output`). Refinements and transforms have no JSON Schema form
 * and are left out; the zod schema stays the validator.
 */
export function openApiSchema(schema: ZodType, io: 'input' | 'output'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

/** Documents a JSON request body by the zod schema that validates it (optional when `{}` is valid: no body reads as `{}`). */
export const ApiZodBody = (schema: ZodType) => ApiBody({ schema: openApiSchema(schema, 'input'), required: !schema.safeParse({}).success });

/** Documents a JSON response by the contracts schema of what the handler returns. */
export const ApiZodResponse = (status: number, schema: ZodType, description = '') =>
  ApiResponse({ status, description, schema: openApiSchema(schema, 'output') });

/** A react-admin list: an array of the items, with their range in Content-Range (e.g. "runs 0-24/100"). */
export const ApiZodList = (item: ZodType) =>
  ApiResponse({
    status: 200,
    description: 'one page of the list',
    schema: openApiSchema(z.array(item), 'output'),
    headers: { 'Content-Range': { description: '"<resource> <first>-<last>/<total>"', schema: { type: 'string' } } },
  });
