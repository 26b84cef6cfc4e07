// The MCP agent: the official SDK's Client over StreamableHTTPClientTransport, unmodified; the only
// thing we supply is the `fetch` (an undici Agent presenting the agent's client certificate).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** Connects (initialize + initialized) and returns { client, transport, close() }. */
export async function connectMcp(url, { fetch, name = 'portcullis-e2e-agent' } = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(url), fetch ? { fetch } : {});
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return {
    client,
    transport,
    get sessionId() { return transport.sessionId; },
    async close({ terminate = true } = {}) {
      if (terminate) await transport.terminateSession().catch(() => {});
      await client.close().catch(() => {});
    },
  };
}

/** The text of a tools/call result (all text content items, joined). */
export const resultText = (r) => (r?.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
