#!/usr/bin/env node
// The npm registry reachable here lacks some other-platform binaries (e.g. @swc/core-darwin-arm64),
// so `npm install` leaves them out of package-lock.json and `npm ci` then refuses the lock.
// This adds each missing optional platform package back as a lock entry restricted to its own
// os/cpu: npm skips it on other platforms and installs it where it belongs. Run after `npm install`.
const fs = require('node:fs');
const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony', 'wasm32', 'wasi'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'];
let added = 0;
for (const [where, pkg] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
    const base = where ? `${where}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[base] || lock.packages[`node_modules/${name}`]) continue;
    const parts = name.split(/[/-]/);
    const os = OS.filter((o) => parts.includes(o) || (o === 'wasm32' && name.includes('wasm32')));
    const cpu = CPU.filter((c) => parts.includes(c));
    if (!os.length) continue; // not a platform package: leave it to npm
    lock.packages[`node_modules/${name}`] = { version: spec.replace(/^[\^~=]/, ''), optional: true, os, ...(cpu.length ? { cpu } : {}) };
    added += 1;
  }
}
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} foreign-platform lock entries`);
