#!/usr/bin/env node
// The scripted agent of scripts/demo.sh: the official MCP SDK client with the agent "alpha"'s
// certificate makes a few calls through Portcullis (policies/demo), then prints, for each call,
// what was expected, what happened, the policy that decided and the audit record's sequence
// number — read back from the audit log itself. Exits 1 if anything did not behave as expected.
// Usage: node demo-agent.mjs --url https://127.0.0.1:PORT/mcp --pki DIR --audit-dir DIR
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { completeLines } from '../lib/files.mjs';
import { connectMcp, resultText } from '../lib/mcp-agent.mjs';
import { tlsFetch } from '../lib/net.mjs';

const { values: opt } = parseArgs({ options: { url: { type: 'string' }, pki: { type: 'string' }, 'audit-dir': { type: 'string' } } });
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const green = (s) => paint('32', s);
const red = (s) => paint('31', s);
const bold = (s) => paint('1', s);
const dim = (s) => paint('2', s);

/** Every audit record so far, in order. */
function auditRecords() {
  const dir = opt['audit-dir'];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()
    .flatMap((f) => completeLines(path.join(dir, f)).map((l) => JSON.parse(l)));
}
const policyOf = (r) => (r.unmapped?.policy_ids?.length ? r.unmapped.policy_ids.join(', ') : r.policy?.name ?? r.policy?.uid ?? '(none: default deny)');

const calls = [
  { tool: 'echo', args: { message: 'Hello from the demo agent' }, expect: 'allow', why: 'permitted by name' },
  { tool: 'get-sum', args: { a: 2, b: 40 }, expect: 'allow', why: 'permitted, a <= 1000' },
  { tool: 'get-sum', args: { a: 5000, b: 1 }, expect: 'deny', why: 'argument rule: a > 1000' },
  { tool: 'get-env', args: {}, expect: 'deny', why: 'forbidden: reveals secrets' },
  { tool: 'get-tiny-image', args: {}, expect: 'deny', why: 'no policy permits it' },
];

const tls = tlsFetch(opt.pki, 'alpha');
const agent = await connectMcp(opt.url, { fetch: tls.fetch, name: 'portcullis-demo-agent' });
let failures = 0;
const rows = [];

const listed = (await agent.client.listTools()).tools.map((t) => t.name);
const listOk = listed.includes('echo') && listed.includes('get-sum') && !listed.includes('get-env');
if (!listOk) failures++;

for (const c of calls) {
  const before = auditRecords().length;
  let got;
  let detail;
  let auditUid;
  try {
    const r = await agent.client.callTool({ name: c.tool, arguments: c.args });
    got = 'allow';
    detail = resultText(r).split('\n')[0];
  } catch (e) {
    got = e.code === -32099 ? 'deny' : `error ${e.code}`;
    detail = e.message.replace(/^MCP error -?\d+: /, '');
    auditUid = e.data?.audit_uid;
  }
  const fresh = auditRecords().slice(before);
  const decision = auditUid
    ? auditRecords().find((r) => r.metadata?.uid === auditUid)
    : fresh.find((r) => r.unmapped?.kind === 'decision' && JSON.stringify(r).includes(`tools/${c.tool}`));
  const recorded = decision ? (decision.disposition_id === 1 ? 'allow' : 'deny') : 'missing';
  const ok = got === c.expect && recorded === c.expect;
  if (!ok) failures++;
  rows.push({ c, got, detail, decision, recorded, ok });
}
await agent.close();
await tls.close();

// Pads to a column of width n; a longer text is cut with an ellipsis, one space kept before the next column.
const pad = (s, n) => (s.length >= n ? `${s.slice(0, n - 2)}… ` : s + ' '.repeat(n - s.length));
console.log(`\n${bold('What the agent tried')}  ${dim(`(agent spiffe://example.org/agent/alpha → ${opt.url})`)}\n`);
console.log(`  tools/list offered: ${listed.join(', ')}  ${listOk ? green('✓ get-env is not offered') : red('✗ expected echo and get-sum, and no get-env')}\n`);
console.log(bold(`  ${pad('call', 34)}${pad('expected', 10)}${pad('result', 10)}${pad('deciding policy', 18)}${pad('audit seq', 10)}answer`));
for (const { c, got, detail, decision, recorded, ok } of rows) {
  const call = `${c.tool} ${JSON.stringify(c.args)}`;
  const result = got === 'allow' ? green(pad('ALLOWED', 10)) : got === 'deny' ? red(pad('DENIED', 10)) : red(pad(got, 10));
  const seq = decision ? String(decision.metadata.sequence) : red('none');
  const mark = ok ? '' : red(`  ✗ expected ${c.expect}, recorded ${recorded}`);
  console.log(`  ${pad(call, 34)}${pad(c.expect, 10)}${result}${pad(decision ? policyOf(decision) : '-', 18)}${pad(seq, 10)}${dim(mark ? pad(detail, 60) : detail.slice(0, 60))}${mark}`);
}
console.log(`\n  ${dim('why:')} ${calls.map((c) => `${c.tool}: ${c.why}`).join('; ')}`);
if (failures) {
  console.log(red(`\n${failures} call(s) did not behave as shown above.`));
  process.exit(1);
}
console.log(green('\nEvery call was decided as expected and has its audit record.'));
