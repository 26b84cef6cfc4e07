'use strict';
// Drives `portcullis check --policies P --entities E --batch F`: writes a group's files into a
// scratch folder, runs the binary once for all of the group's requests and parses one JSON
// result per line.

const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { byteOrder } = require('./cedar');

function writeGroupFiles(dir, policyText, entities, requests) {
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    policies: path.join(dir, 'policies.cedar'),
    entities: path.join(dir, 'entities.json'),
    batch: path.join(dir, 'requests.jsonl'),
  };
  fs.writeFileSync(files.policies, policyText);
  fs.writeFileSync(files.entities, JSON.stringify(entities, null, 1));
  fs.writeFileSync(files.batch, requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return files;
}

function commandFor(binary, files) {
  const args = ['check', '--policies', files.policies, '--entities', files.entities, '--batch', files.batch];
  // A JavaScript stand-in (the self-test's fake engines) runs under this node.
  if (binary.endsWith('.js')) return { cmd: process.execPath, args: [binary, ...args] };
  return { cmd: binary, args };
}

// Parses the process output into one normalised result per request, or a whole-run rejection.
function parseOutput(code, stdout, stderr, count) {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  if (code !== 0 && lines.length === 0) {
    return { exitCode: code, rejected: `exit ${code}: ${stderr.trim().slice(0, 2000)}`, results: [] };
  }
  const results = lines.map((line) => {
    let json;
    try {
      json = JSON.parse(line);
    } catch (e) {
      return { rejected: `unparsable output line: ${line.slice(0, 200)}` };
    }
    if (json.decision !== 'allow' && json.decision !== 'deny') {
      return { rejected: `no decision: ${line.slice(0, 500)}` };
    }
    return {
      decision: json.decision,
      reasons: [...(json.reasons || [])].sort(byteOrder),
      errors: [...(json.errors || [])].sort(byteOrder),
      reasonsAsPrinted: json.reasons || [],
      errorsAsPrinted: json.errors || [],
      messages: json.diagnostics || [],
    };
  });
  const problem = results.length !== count ? `expected ${count} result lines, got ${results.length}` : null;
  return { exitCode: code, results, problem, stderr: stderr.trim() };
}

// Runs one batch asynchronously; resolves to the parsed output.
function runBatch(binary, files, count) {
  return new Promise((resolve) => {
    const { cmd, args } = commandFor(binary, files);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => resolve({ exitCode: -1, rejected: `cannot run ${binary}: ${e.message}`, results: [] }));
    child.on('close', (code) => {
      resolve(parseOutput(code, Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8'), count));
    });
  });
}

// Synchronous single-request run, used while shrinking a disagreement.
function runOne(binary, dir, policyText, entities, request) {
  const files = writeGroupFiles(dir, policyText, entities, [request]);
  const { cmd, args } = commandFor(binary, files);
  const p = spawnSync(cmd, args, { encoding: 'utf8' });
  if (p.error) return { rejected: `cannot run ${binary}: ${p.error.message}` };
  const parsed = parseOutput(p.status, p.stdout, p.stderr, 1);
  if (parsed.rejected) return { rejected: parsed.rejected };
  return parsed.results[0] || { rejected: `no output (exit ${p.status}): ${p.stderr.trim().slice(0, 500)}` };
}

module.exports = { writeGroupFiles, runBatch, runOne };
