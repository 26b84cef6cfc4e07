#!/usr/bin/env node
'use strict';
// Tests the differential runner itself, without the C++ engine: against an engine that agrees
// with cedar-wasm it must pass, and against one that lies it must report the disagreement and
// exit 1. (A runner that could not fail would prove nothing about portcullis.)

const path = require('path');
const { spawnSync } = require('child_process');

const run = path.join(__dirname, '..', 'run.js');
let failures = 0;

function expect(name, args, wantCode, wantText) {
  const p = spawnSync(process.execPath, [run, ...args], { encoding: 'utf8' });
  const ok = p.status === wantCode && p.stdout.includes(wantText);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} (exit ${p.status})`);
  if (!ok) {
    failures++;
    console.log(p.stdout.slice(-3000), p.stderr.slice(-3000));
  }
}

const fake = (name) => path.join(__dirname, name);
expect('an engine that agrees with cedar-wasm passes',
  ['--cases', '100', '--seed', '11', '--portcullis', fake('honest_portcullis.js')], 0, '103 passed, 0 failed');  // + the 3 corner-group requests
expect('an engine that flips decisions is caught',
  ['--cases', '100', '--seed', '5', '--max-reports', '0', '--portcullis', fake('lying_portcullis.js')], 1, 'DISAGREEMENT #1');
expect('a missing binary is a usage error',
  ['--cases', '10', '--seed', '1', '--portcullis', fake('no_such_binary')], 2, '');
expect('the generator produces only input cedar-wasm accepts',
  ['--cases', '1000', '--seed', '20261127', '--cedar-only'], 0, '1003 passed, 0 failed');
process.exit(failures === 0 ? 0 : 1);
