// Raw HTTP with curl, for what no SDK would send (batches hiding a call, duplicate keys, forged
// identity headers). Client certificates come from the scenario's PKI.
import { execFile } from 'node:child_process';

/**
 * POSTs `body` (a string, sent byte for byte) to `url`; returns { status, headers, body }.
 * `identity` names a PKI file stem (alpha, beta, ...) or null for no client certificate.
 */
export function curlPost(url, body, { pki, identity = 'alpha', headers = {} } = {}) {
  const args = ['-sS', '--max-time', '20', '-D', '-', '-o', '-', '-X', 'POST', '--data-binary', '@-'];
  if (url.startsWith('https:')) {
    args.push('--cacert', `${pki}/ca.pem`);
    if (identity) args.push('--cert', `${pki}/${identity}.pem`, '--key', `${pki}/${identity}.key`);
  }
  const all = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers };
  for (const [k, v] of Object.entries(all)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = execFile('curl', args, { encoding: 'latin1', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl failed (${err.code}): ${stderr}`));
      // With -D - the headers come first; skip any 1xx blocks.
      let rest = stdout;
      let status = 0;
      const headersOut = {};
      for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (end < 0) break;
        const block = rest.slice(0, end).split('\r\n');
        rest = rest.slice(end + 4);
        status = Number(block[0].split(' ')[1]);
        for (const line of block.slice(1)) {
          const i = line.indexOf(':');
          headersOut[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        if (status >= 200) break;
      }
      resolve({ status, headers: headersOut, body: Buffer.from(rest, 'latin1').toString('utf8') });
    });
    child.stdin.end(Buffer.from(body, 'utf8'));
  });
}

/** JSON-RPC messages in a JSON or SSE (`data:` lines) response body. */
export function jsonRpcMessages(body) {
  const t = body.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    const v = JSON.parse(t);
    return Array.isArray(v) ? v : [v];
  }
  return t.split('\n').filter((l) => l.startsWith('data:') && l.slice(5).trim()).map((l) => JSON.parse(l.slice(5)));
}

/** Opens an MCP session with raw requests; returns the headers later requests must carry. */
export async function rawMcpSession(url, opts) {
  const init = await curlPost(url, JSON.stringify({
    jsonrpc: '2.0', id: 0, method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
  }), opts);
  const sid = init.headers['mcp-session-id'];
  if (init.status !== 200 || !sid) throw new Error(`initialize: HTTP ${init.status} ${init.body}`);
  const headers = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
  const ack = await curlPost(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), { ...opts, headers });
  if (ack.status !== 202) throw new Error(`notifications/initialized: HTTP ${ack.status} ${ack.body}`);
  return headers;
}
