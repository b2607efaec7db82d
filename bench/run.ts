/**
 * `npm run bench [-- section ...]`: runs the named benchmark sections (all by default) and prints
 * their figures; `--json` prints one JSON document. Add a section by adding an entry to SECTIONS.
 */
import { datasetsSection } from './datasets';
import { engineSection } from './engine';
import { profileSection } from './kernel-profile';
import { teacherSection } from './teacher';

const SECTIONS: Record<string, () => Promise<Record<string, unknown>>> = {
  engine: engineSection,
  profile: profileSection,
  datasets: datasetsSection,
  teacher: teacherSection,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !SECTIONS[n]);
  if (unknown.length) throw new Error(`unknown bench section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  const results: Record<string, unknown> = {};
  for (const name of names.length ? names : Object.keys(SECTIONS)) results[name] = await SECTIONS[name]();
  if (json) console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
