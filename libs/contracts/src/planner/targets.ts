/** PEFT `target_modules`: projection names, or `all-linear` for every one of them. */
import { PROJECTIONS, type Projection } from './projections';

export const ALL_LINEAR = 'all-linear';

/** `all-linear` replaced by every projection name; other lists are returned as given. */
export function expandAllLinear(targets: string[]): string[] {
  return targets.includes(ALL_LINEAR) ? [...PROJECTIONS] : targets;
}

/** The projections target_modules select, in layer order; a name that is not a projection is an error. */
export function targetProjections(targets: string[]): Projection[] {
  const names = expandAllLinear(targets);
  for (const t of names) {
    if (!(PROJECTIONS as readonly string[]).includes(t)) {
      throw new Error(`LoRA target module "${t}" is not a linear projection of this model (choose from ${PROJECTIONS.join(', ')}, ${ALL_LINEAR})`);
    }
  }
  return PROJECTIONS.filter((p) => names.includes(p));
}
