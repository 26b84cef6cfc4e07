'use strict';
// Realistic agent-policy workloads for the side-by-side benchmark: N policies made of tool
// allow-lists per team, argument checks (`like` on context.input.path, limits on
// context.input.amount), team membership through `in`, business-hour windows and the MCP
// session plumbing — the shapes of DESIGN.md's Cedar mapping. Deterministic for a given N.

function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const ip = (a) => ({ __extn: { fn: 'ip', arg: a } });
const dt = (a) => ({ __extn: { fn: 'datetime', arg: a } });

// Returns {policies: text, entities: [...all...], requests: [...], entitiesFor(request)}.
function agentWorkload(policyCount, requestCount = 2000, seed = 42) {
  const rnd = lcg(seed + policyCount);
  const pick = (n) => Math.floor(rnd() * n);
  const teams = Math.max(2, Math.round(policyCount / 10));
  const servers = Math.max(2, Math.round(policyCount / 20));
  const toolsPerServer = 10;
  const agents = Math.max(4, teams * 3);

  const policies = [
    '@id("mcp-session")\npermit (principal, action in Action::"mcp/session", resource);',
  ];
  for (let i = 1; i < policyCount; i++) {
    const team = `team-${pick(teams)}`;
    const server = `srv-${pick(servers)}`;
    const tool = `${server}/tool-${pick(toolsPerServer)}`;
    switch (i % 5) {
      case 0:
        policies.push(`@id("p${i}")\npermit (principal in Team::"${team}", action == Action::"tools/call", resource == Tool::"${tool}");`);
        break;
      case 1:
        policies.push(`@id("p${i}")\npermit (principal in Team::"${team}", action == Action::"tools/call", resource == Tool::"${server}/write_file")\n` +
          `when { context.input has path && context.input.path like "/workspace/${team}/*" && !(context.input.path like "*..*") };`);
        break;
      case 2:
        policies.push(`@id("p${i}")\n@reason("transfers above 1000 need a human")\nforbid (principal, action == Action::"tools/call", resource == Tool::"${server}/transfer")\n` +
          `when { context.input has amount && context.input.amount > 1000 };`);
        break;
      case 3:
        policies.push(`@id("p${i}")\npermit (principal in Team::"${team}", action == Action::"tools/call", resource in Server::"${server}")\n` +
          'when { context.weekday <= 5 && context.hour >= 9 && context.hour < 18 };');
        break;
      default:
        policies.push(`@id("p${i}")\npermit (principal in Team::"${team}", action == Action::"tools/call", resource == Tool::"${server}/transfer")\n` +
          `when { context.input has amount && context.input.amount <= 1000 && context.source_ip.isInRange(ip("10.0.0.0/8")) };`);
    }
  }

  // Entities: agents in one or two teams, teams under the org, tools under their servers.
  const entities = new Map();
  const add = (type, id, parents = [], attrs = {}) => {
    entities.set(`${type}::${id}`, { uid: { type, id }, attrs, parents: parents.map(([t, i]) => ({ type: t, id: i })) });
  };
  add('Org', 'example');
  for (let t = 0; t < teams; t++) add('Team', `team-${t}`, [['Org', 'example']]);
  for (let a = 0; a < agents; a++) {
    const parents = [['Team', `team-${a % teams}`]];
    if (a % 3 === 0) parents.push(['Team', `team-${(a * 7 + 1) % teams}`]);
    add('Agent', `spiffe://example.org/agent/a${a}`, parents);
  }
  for (let s = 0; s < servers; s++) {
    add('Server', `srv-${s}`);
    const names = ['write_file', 'transfer'];
    for (let k = 0; k < toolsPerServer; k++) names.push(`tool-${k}`);
    for (const name of names) add('Tool', `srv-${s}/${name}`, [['Server', `srv-${s}`]]);
  }
  add('Action', 'mcp');
  add('Action', 'mcp/session', [['Action', 'mcp']]);
  add('Action', 'initialize', [['Action', 'mcp/session'], ['Action', 'mcp']]);
  add('Action', 'tools/call', [['Action', 'mcp']]);

  const requests = [];
  for (let r = 0; r < requestCount; r++) {
    const a = pick(agents);
    const team = `team-${a % teams}`;
    const s = pick(servers);
    const kind = pick(10);
    const tool = kind < 4 ? `tool-${pick(toolsPerServer)}` : kind < 7 ? 'write_file' : 'transfer';
    const hour = pick(24);
    const action = kind === 9 ? 'initialize' : 'tools/call';
    requests.push({
      principal: { type: 'Agent', id: `spiffe://example.org/agent/a${a}` },
      action: { type: 'Action', id: action },
      resource: action === 'initialize' ? { type: 'Server', id: `srv-${s}` } : { type: 'Tool', id: `srv-${s}/${tool}` },
      context: {
        source_ip: ip(pick(4) === 0 ? '192.168.1.20' : '10.1.2.3'),
        time: dt(`2026-11-${String(20 + pick(7)).padStart(2, '0')}T${String(hour).padStart(2, '0')}:15:00Z`),
        hour,
        weekday: 1 + pick(7),
        route: `srv-${s}`,
        session: { id: `s${r % 50}`, tools: [], labels: pick(5) === 0 ? ['read-secrets'] : [] },
        input: {
          path: pick(3) === 0 ? `/workspace/${team}/notes/${r}.md` : pick(2) ? `/workspace/${team}/../../etc/passwd` : `/tmp/${r}`,
          amount: pick(2000),
          note: 'x'.repeat(pick(40)),
        },
      },
    });
  }

  // The entities one call can touch: its principal and ancestors, its resource and ancestors,
  // its action and ancestors (cedar-wasm re-reads the entities JSON on every call).
  function entitiesFor(request) {
    const out = new Map();
    const visit = (uid) => {
      const key = `${uid.type}::${uid.id}`;
      const e = entities.get(key);
      if (!e || out.has(key)) return;
      out.set(key, e);
      e.parents.forEach(visit);
    };
    visit(request.principal);
    visit(request.resource);
    visit(request.action);
    return [...out.values()];
  }

  return { policies: policies.join('\n\n'), entities: [...entities.values()], requests, entitiesFor };
}

module.exports = { agentWorkload };
