import 'reflect-metadata';
import { Command } from 'commander';
import { registerCommands } from './commands';

const program = new Command('retort')
  .description('Retort: LoRA/QLoRA fine-tuning and distillation workbench')
  .option('--json', 'print one JSON document instead of human output')
  .option('--wait-timeout <seconds>', 'give up a wait (dataset push, --watch) after this long without change (default 600, or RETORT_WAIT_TIMEOUT)')
  .showHelpAfterError();

registerCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  if (program.opts().json) process.stdout.write(JSON.stringify({ error: message }) + '\n');
  else process.stderr.write(`retort: ${message}\n`);
  process.exit(1);
});
