import { Init1763900000000 } from './1763900000000-init';
import { Records1763900100000 } from './1763900100000-records';
import { BaseModels1763900200000 } from './1763900200000-base-models';
import { Runs1763900300000 } from './1763900300000-runs';
import { Registry1763900400000 } from './1763900400000-registry';
import { GenerationCleaned1763900500000 } from './1763900500000-generation-cleaned';

/** Listed explicitly (not globbed) so they load the same under swc, jest and a bundler. */
export const MIGRATIONS = [Init1763900000000, Records1763900100000, BaseModels1763900200000, Runs1763900300000, Registry1763900400000, GenerationCleaned1763900500000];
