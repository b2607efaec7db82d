#!/usr/bin/env node
// Builds the engine's optional OpenBLAS matmul addon (libs/engine/native) with node-gyp, against the
// system's OpenBLAS (Debian: libopenblas-dev) and Node's own headers. It never fails an install:
// without OpenBLAS or a compiler the engine keeps tfjs-wasm's own matmul and says so when it starts.
// `--strict` (used by CI) makes a failed build an error instead.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const strict = process.argv.includes('--strict');
const dir = path.join(__dirname, '..', 'libs', 'engine', 'native');

function skip(why) {
  const line = `retort: native OpenBLAS matmul not built (${why}); the engine uses tfjs-wasm's matmul`;
  if (strict) {
    console.error(line);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}

if (process.env.RETORT_NATIVE_BLAS === '0') skip('RETORT_NATIVE_BLAS=0');
if (spawnSync('pkg-config', ['--exists', 'openblas']).status !== 0) skip('no OpenBLAS found by pkg-config: apt-get install libopenblas-dev pkg-config');
let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  skip('node-gyp is not installed');
}
// Node's own headers where they are installed (the Debian and official builds ship them), so that
// node-gyp does not try to download them.
const nodeDir = path.resolve(path.dirname(process.execPath), '..');
const args = [nodeGyp, 'rebuild', '--directory', dir];
if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (res.status !== 0) {
  process.stderr.write(res.stdout + res.stderr);
  skip(`node-gyp exited with ${res.status}`);
}
console.log(`retort: built ${path.relative(process.cwd(), path.join(dir, 'build', 'Release', 'retort_blas.node'))} (OpenBLAS matmul for the engine)`);
