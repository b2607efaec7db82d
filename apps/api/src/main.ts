import 'reflect-metadata';
import { INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RetortConfig } from '@retort/contracts';
import { AppModule } from './app.module';
import { RetortLogger } from './logger';
import { TokenService } from './auth/token.service';
import { MetricsService } from './metrics/metrics.service';
import { bodyParserProblems, refuseUnstorableInput } from './common/request-input';

export { resolveBootstrapToken, resolveSecretKey, resolveServeApiKey } from './auth/bootstrap-token';
export { hashToken } from './auth/token.service';
export { MetricsService } from './metrics/metrics.service';

export interface ApiApp {
  app: INestApplication;
  openapi: OpenAPIObject;
}

/** Builds the api (migrations run while it starts) without listening, for `startApi` and tests. */
export async function createApiApp(config: RetortConfig, opts: { bootstrapToken?: string } = {}): Promise<ApiApp> {
  const app = await NestFactory.create(AppModule.forRoot(config), {
    logger: new RetortLogger(config),
    bodyParser: false,
  });
  app.enableShutdownHooks();
  // Without configured origins no CORS header is sent: only the console the api serves itself may call it.
  if (config.corsOrigins.length) app.enableCors({ origin: config.corsOrigins, exposedHeaders: ['Content-Range', 'X-Content-SHA256'] });
  app.use(app.get(MetricsService).middleware);
  // JSON bodies only; uploads stream their raw body to the handler.
  app.use(express.json({ limit: '10mb', type: ['application/json', 'application/*+json'] }));
  app.use(bodyParserProblems);
  app.use(refuseUnstorableInput);
  const openapi = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle('Retort API').setVersion('v1').addBearerAuth().build(),
  );
  SwaggerModule.setup('docs', app, openapi, { jsonDocumentUrl: 'docs/openapi.json' });
  serveAdmin(app, config);
  if (opts.bootstrapToken) await app.get(TokenService).ensureBootstrap(opts.bootstrapToken);
  await app.init();
  return { app, openapi };
}

export async function startApi(config: RetortConfig, bootstrapToken?: string): Promise<INestApplication> {
  const { app } = await createApiApp(config, { bootstrapToken });
  await app.listen(config.port, config.host);
  new Logger('api').log(`listening on http://${config.host}:${config.port}`);
  return app;
}

/** The admin console's build, with history-API fallback for its client-side routes. */
function serveAdmin(app: INestApplication, config: RetortConfig): void {
  const dist = config.adminDist ?? path.resolve(__dirname, '..', '..', 'admin', 'dist');
  const index = path.join(dist, 'index.html');
  if (!fs.existsSync(index)) {
    new Logger('api').warn(`admin console not built (${index} missing): run npm run build:admin`);
    return;
  }
  app.use(express.static(dist, { index: false }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const apiPath = /^\/(api|docs|healthz|metrics)(\/|$)/.test(req.path);
    if (req.method !== 'GET' || apiPath) return next();
    res.sendFile(index);
  });
}
