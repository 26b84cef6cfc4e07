// Scenario 9: the audit trail of a run. After a mixed run (allowed and denied MCP calls, a batch,
// A2A in both dialects, refused handshakes): `portcullis audit verify` passes; every call has
// exactly one decision record with the right disposition and every forwarded call one outcome
// record pointing at it; every record validates against the OCSF schema; rsyslog, fed over RELP
// with TLS, holds the same records, down to the checkpoint written at shutdown; the refused
// handshakes show in /metrics.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTopology, viaGateway } from '../lib/topology.mjs';
import { e2eRoot } from '../lib/peers.mjs';
import { connectMcp } from '../lib/mcp-agent.mjs';
import { a2aClient } from '../lib/a2a-client.mjs';
import { curlPost, rawMcpSession } from '../lib/curl.mjs';
import { marker } from '../lib/expect.mjs';
import { waitFor } from '../lib/net.mjs';
import { completeLines } from '../lib/files.mjs';

const ALLOWED = 1;
const BLOCKED = 2;
const skip = !viaGateway && 'direct mode: there is no audit log';

// The refused handshakes /metrics counts, over every listener and reason.
function handshakeFailures(metricsText) {
  const lines = metricsText.split('\n').filter((l) => l.startsWith('portcullis_tls_handshake_failures_total'));
  return { total: lines.reduce((sum, l) => sum + Number(l.trim().split(/\s+/).at(-1)), 0), lines };
}

describe('scenario 9: audit', { skip }, () => {
  let topo;
  const calls = []; // { marker, disposition, forwarded }
  let records = [];
  let files = [];

  before(async () => {
    topo = await startTopology('audit', { a2a: true, siem: true });
    const alpha = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('alpha') });
    const expect = (m, disposition) => calls.push({ marker: m, disposition });

    let m = marker('echo');
    await alpha.client.callTool({ name: 'echo', arguments: { message: m } });
    expect(m, ALLOWED);
    m = marker('sum-denied');
    await alpha.client.callTool({ name: 'get-sum', arguments: { a: 5000, b: 1, note: m } }).catch(() => {});
    expect(m, BLOCKED);
    m = marker('env-denied');
    await alpha.client.callTool({ name: 'get-env', arguments: { probe: m } }).catch(() => {});
    expect(m, BLOCKED);

    const session = await rawMcpSession(topo.mcpUrl, { pki: topo.pki });
    const b1 = marker('batch-echo');
    const b2 = marker('batch-env');
    await curlPost(topo.mcpUrl, JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: b1 } } },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get-env', arguments: { probe: b2 } } },
    ]), { pki: topo.pki, headers: session });
    expect(b1, BLOCKED);
    expect(b2, BLOCKED);

    for (const dialect of ['1.0', '0.3']) {
      const a = await a2aClient(topo.a2aUrl, { fetch: topo.fetchAs('alpha'), dialect });
      m = marker(`a2a-${dialect}`);
      await a.send(m);
      expect(m, ALLOWED);
      const b = await a2aClient(topo.a2aUrl, { fetch: topo.fetchAs('beta'), dialect });
      m = marker(`a2a-beta-${dialect}`);
      await b.send(m).catch(() => {});
      expect(m, BLOCKED);
    }

    for (const identity of [null, 'expired', 'rogue']) {
      await topo.fetchAs(identity)(`${topo.mcpUrl}`, { method: 'POST', body: '{}' }).catch(() => {});
    }
    // A refused handshake is counted after its alert went out: scrape until all three are in.
    await waitFor(async () => handshakeFailures(topo.metricsText = await topo.gateway.metrics()).total >= 3,
      { timeoutMs: 10000, what: 'three refused handshakes in /metrics' }).catch(() => {});
    await alpha.close();

    // SIEM delivery is asynchronous: wait until rsyslog has everything the file has.
    const fileRecords = () => topo.gateway.auditFiles().flatMap(completeLines);
    await waitFor(() => topo.rsyslog.records().length >= fileRecords().length, { timeoutMs: 20000, what: 'rsyslog to hold every record' }).catch(() => {});
    // Stopping writes the shutdown checkpoint (and the outcome of any stream still open), which
    // the sink delivers before the process exits (audit.sink_drain_timeout); rsyslog writes what
    // it acknowledged a moment later.
    topo.gatewayExit = await topo.gateway.stop();
    files = topo.gateway.auditFiles();
    records = files.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    await waitFor(() => topo.rsyslog.records().length >= records.length, { timeoutMs: 10000, what: 'rsyslog to hold the records written at shutdown' }).catch(() => {});
  });
  after(async () => { await topo?.stop(); });

  it('stops by itself on SIGTERM (drain, final checkpoint, SIEM delivery) within the grace time', () => {
    assert.deepEqual(topo.gatewayExit, { code: 0, signal: null }, `the gateway's output:\n${topo.gateway.proc.output().slice(-4000)}`);
  });

  it('passes `portcullis audit verify` (with the public key)', () => {
    const v = topo.gateway.verifyAudit(files);
    assert.equal(v.code, 0, `${v.command}\n${v.output}`);
  });

  it('detects a one-byte change in a copy of the log (the verifier can fail)', () => {
    const copy = path.join(topo.work, 'tampered.jsonl');
    const text = fs.readFileSync(files[0], 'utf8');
    const at = text.indexOf(calls[0].marker);
    assert.ok(at > 0);
    fs.writeFileSync(copy, `${text.slice(0, at)}X${text.slice(at + 1)}`);
    const v = topo.gateway.verifyAudit([copy]);
    assert.equal(v.code, 1, v.output);
  });

  it('has exactly one decision record per call, with the right disposition, and one outcome per forwarded call', () => {
    // unmapped.kind says what a record is (decision, outcome, admin, checkpoint, recovery).
    for (const c of calls) {
      const decisions = records.filter((r) => r.unmapped?.kind === 'decision' && JSON.stringify(r).includes(c.marker));
      assert.equal(decisions.length, 1, `${c.marker}: ${decisions.length} decision records`);
      const d = decisions[0];
      assert.equal(d.disposition_id, c.disposition, `${c.marker}: disposition_id`);
      const outcomes = records.filter((r) => r.unmapped?.kind === 'outcome' && r.metadata?.correlation_uid === d.metadata.uid);
      const mentions = records.filter((r) => JSON.stringify(r).includes(c.marker));
      assert.equal(mentions.length, 1, `${c.marker}: only its decision record carries its arguments`);
      assert.equal(outcomes.length, c.disposition === ALLOWED ? 1 : 0, `${c.marker}: outcome records`);
    }
    const seqs = records.map((r) => r.metadata.sequence);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'sequence numbers 1..n without gaps');
  });

  it('validates every record against the OCSF 1.9 API Activity schema', () => {
    const r = spawnSync('/usr/bin/python3', [path.join(e2eRoot, 'ocsf/validate.py'), path.join(e2eRoot, 'ocsf/api_activity-1.9.0-dev.schema.json'), ...files], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  it('delivered the same records to rsyslog over RELP/TLS', () => {
    const received = topo.rsyslog.records();
    const byUid = new Map(received.map((r) => [r.metadata?.uid, r]));
    // Every record, the shutdown checkpoint included.
    assert.ok(records.at(-1).unmapped?.checkpoint, 'the log ends with the shutdown checkpoint');
    const gatewayLog = () => `\n--- the gateway's output ---\n${topo.gateway.proc.output().slice(-4000)}`;
    for (const r of records) assert.deepEqual(byUid.get(r.metadata.uid), r, `record seq ${r.metadata.sequence} as rsyslog holds it (rsyslog holds ${received.length} of ${records.length})${gatewayLog()}`);
    assert.ok(received.length >= calls.length, `rsyslog holds ${received.length} records`);
    // What rsyslog holds, byte for byte and in order, verifies as a chain on its own.
    const siemCopy = path.join(topo.work, 'siem-copy.jsonl');
    fs.writeFileSync(siemCopy, `${topo.rsyslog.lines().join('\n')}\n`);
    const v = topo.gateway.verifyAudit([siemCopy]);
    assert.equal(v.code, 0, `the SIEM's copy: ${v.command}\n${v.output}${gatewayLog()}`);
  });

  it('counts the refused handshakes in /metrics', () => {
    const { total, lines } = handshakeFailures(topo.metricsText);
    assert.ok(total >= 3, `handshake failures counted: ${total}\n${lines.join('\n')}`);
  });
});
