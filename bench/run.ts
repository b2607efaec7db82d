/**
 * `npm run bench [-- section ...]`: runs the named benchmark sections (all by default) and prints
 * their figures (all but `scale` and `gpu` by default); `--json` prints one JSON document. Add a section by adding an entry to SECTIONS.
 */
import { datasetsSection } from './datasets';
import { engineSection } from './engine';
import { gpuSection } from './gpu';
import { profileSection } from './kernel-profile';
import { scaleSection } from './scale';
import { teacherSection } from './teacher';

/** Each section gets the command line's flags (`--profile`, ...). */
const SECTIONS: Record<string, (flags: string[]) => Promise<Record<string, unknown>>> = {
  engine: engineSection,
  profile: profileSection,
  datasets: datasetsSection,
  teacher: teacherSection,
  scale: scaleSection,
  gpu: gpuSection,
};

/** GB-sized or device-bound, many minutes: run only when named (`npm run bench -- scale`, `-- gpu`). */
const ON_REQUEST = new Set(['scale', 'gpu']);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const names = args.filter((a) => !a.startsWith('--'));
  const flags = args.filter((a) => a.startsWith('--'));
  const unknown = names.filter((n) => !SECTIONS[n]);
  if (unknown.length) throw new Error(`unknown bench section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  const results: Record<string, unknown> = {};
  for (const name of names.length ? names : Object.keys(SECTIONS).filter((n) => !ON_REQUEST.has(n))) results[name] = await SECTIONS[name](flags);
  if (json) console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
