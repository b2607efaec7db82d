export * from './entities';
export { MIGRATIONS } from './migrations';
export { createDataSource, connectAndMigrate } from './data-source';
export { createMigratedTestDataSource, createTestDatabase, type TestDatabase } from './test-database';
export { SecretBox } from './secret-box';
export { createDatasetVersion, InvalidDatasetError, type CreateVersionDeps, type CreateVersionOptions } from './repositories/create-dataset-version';
export { RunRepository, type NewRun, type RunListQuery, type RunEventLevel, type RunEventType } from './repositories/run.repository';
