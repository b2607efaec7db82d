import * as fs from 'node:fs';
import * as path from 'node:path';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PGlite (Postgres in WebAssembly) behind its socket server, so the api and worker connect with
 * the ordinary `pg` driver. maxConnections > 1: with the default of one, every pooled client after
 * the first is reset.
 */
export async function startEmbeddedPostgres(home: string, port: number): Promise<EmbeddedPostgres> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const dataDir = path.join(home, 'pgdata');
  fs.mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir });
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 32 });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw new Error(`could not start the embedded Postgres on 127.0.0.1:${port} (${(err as Error).message}); set RETORT_PG_PORT to a free port or DATABASE_URL to a server`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
