/** Zod schemas of what the api answers, resource by resource; the OpenAPI document is generated from them. */
export * from './adapters';
export * from './audit';
export * from './datasets';
export * from './endpoints';
export * from './models';
export * from './playground';
export * from './records';
export * from './runs';
export * from './schedules';
export * from './tokens';
export * from './workers';
