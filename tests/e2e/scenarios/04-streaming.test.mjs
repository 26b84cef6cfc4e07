// Scenario 4: progress notifications of trigger-long-running-operation arrive one by one through
// the gateway — the SSE stream is relayed as it comes, not buffered until the result.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTopology } from '../lib/topology.mjs';
import { connectMcp, resultText } from '../lib/mcp-agent.mjs';

describe('scenario 4: streaming', () => {
  let topo;
  let agent;
  before(async () => {
    topo = await startTopology('streaming');
    agent = await connectMcp(topo.mcpUrl, { fetch: topo.fetchAs('alpha') });
  });
  after(async () => { await agent?.close(); await topo?.stop(); });

  it('delivers progress notifications incrementally (timestamps ~500 ms apart)', async () => {
    const t0 = Date.now();
    const seen = [];
    const r = await agent.client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 4 } },
      undefined,
      { onprogress: (p) => seen.push({ at: Date.now() - t0, progress: p.progress }), timeout: 20000 },
    );
    const done = Date.now() - t0;
    assert.match(resultText(r), /Long running operation completed/);
    assert.deepEqual(seen.map((s) => s.progress), [1, 2, 3, 4], `progress events: ${JSON.stringify(seen)}`);
    // The tool sleeps 500 ms before each step. Buffering would deliver all four at once, at the end.
    assert.ok(seen[0].at < done - 1000, `first progress at ${seen[0].at} ms, result at ${done} ms`);
    // Nominally 500 ms apart. A stall of this test's process while an event is in flight shortens
    // one gap (and lengthens the one before): allow one short gap, not a spread that collapsed.
    const gaps = seen.slice(1).map((s, i) => s.at - seen[i].at);
    assert.ok(seen.at(-1).at - seen[0].at >= 750, `progress events spread over less than 750 ms: ${JSON.stringify(seen)}`);
    assert.ok(gaps.filter((g) => g < 250).length <= 1, `progress gaps ${JSON.stringify(gaps)} ms: ${JSON.stringify(seen)}`);
  });
});
