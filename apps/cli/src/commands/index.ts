import { Command } from 'commander';
import { registerAdapterCommand } from './adapter';
import { registerDatasetCommand } from './dataset';
import { registerGenerateCommand } from './generate';
import { registerModelCommand } from './model';
import { registerRunCommand } from './run';
import { registerScheduleCommand } from './schedule';
import { registerServeCommand } from './serve';
import { registerServiceCommands } from './services';
import { registerTrainCommand } from './train';
import { registerUpCommand } from './up';

/** Every top-level command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerUpCommand(program);
  registerServiceCommands(program);
  registerDatasetCommand(program);
  registerModelCommand(program);
  registerTrainCommand(program);
  registerRunCommand(program);
  registerServeCommand(program);
  registerGenerateCommand(program);
  registerAdapterCommand(program);
  registerScheduleCommand(program);
}
