// Prints {adapter} or {why} for Dawn's WebGPU adapter, as one JSON line (see backends.ts).
import { probeWebGpu } from '../src';

void probeWebGpu().then((r) => {
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0); // Dawn's threads would keep the process alive
});
