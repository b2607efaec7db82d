#!/usr/bin/env node
// Runs the TypeScript sources directly: swc compiles them on load, with decorator metadata
// taken from the repository's tsconfig.json.
const path = require('node:path');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(__dirname, '..', '..', '..', 'tsconfig.json');
require('@swc-node/register');
require(path.join(__dirname, '..', 'src', 'main.ts'));
