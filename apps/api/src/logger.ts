import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { RetortConfig } from '@retort/contracts';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's start-up report (a line per module and per route) is detail for debugging, not the log. */
const STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** The api's log: the configured level, colours only where configured (a terminal by default). */
export class RetortLogger extends ConsoleLogger {
  constructor(config: Pick<RetortConfig, 'logLevel' | 'logColors'>) {
    super({ logLevels: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1), colors: config.logColors });
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && STARTUP_CONTEXTS.has(context)) super.debug(message, ...rest);
    else super.log(message, ...rest);
  }
}
