// The calling A2A agent, both dialects, with the SDK's own clients:
//  - v1.0: ClientFactory + JsonRpcTransportFactory (sends `A2A-Version: 1.0`), card resolved by the SDK;
//  - v0.3: the SDK's LegacyJsonRpcTransport, pointed at the `url` of the v0.3 card (fetched without
//    an A2A-Version header, as a v0.3 client does).
// Each takes a `fetch` presenting the calling agent's client certificate.
import { randomUUID } from 'node:crypto';
import { Role } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { LegacyJsonRpcTransport, parseLegacyAgentCard } from '@a2a-js/sdk/compat/v0_3/client';

export function userMessage(text) {
  return {
    messageId: randomUUID(), contextId: '', taskId: '', role: Role.ROLE_USER,
    parts: [{ content: { $case: 'text', value: text }, metadata: {}, filename: '', mediaType: 'text/plain' }],
    metadata: {}, extensions: [], referenceTaskIds: [],
  };
}
const sendRequest = (text) => ({
  tenant: '', message: userMessage(text),
  configuration: { acceptedOutputModes: ['text'], returnImmediately: false },
  metadata: {},
});

/** Fetches the raw agent card; `version` null sends no A2A-Version header (v0.3 behaviour). */
export async function fetchCard(baseUrl, { fetch, version = null, path = '/.well-known/agent-card.json' }) {
  const headers = version ? { 'A2A-Version': version } : {};
  const r = await fetch(`${baseUrl}${path}`, { headers });
  if (!r.ok) throw new Error(`agent card: HTTP ${r.status}`);
  return r.json();
}

/** A v1.0 or v0.3 client with the same small surface: send(text), stream(text) → events, card. */
export async function a2aClient(baseUrl, { fetch, dialect }) {
  if (dialect === '1.0') {
    const options = ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl: fetch })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl: fetch }),
      preferredTransports: ['JSONRPC'],
    });
    // The full card URL: given a base URL, the SDK resolves the well-known path from the origin,
    // dropping a path prefix such as the gateway route's /peer.
    const client = await new ClientFactory(options).createFromUrl(`${baseUrl}/.well-known/agent-card.json`, '');
    return {
      dialect,
      send: (text) => client.sendMessage(sendRequest(text)),
      stream: (text) => client.sendMessageStream(sendRequest(text)),
    };
  }
  if (dialect === '0.3') {
    const raw = await fetchCard(baseUrl, { fetch });
    const card = parseLegacyAgentCard(raw);
    const transport = new LegacyJsonRpcTransport({ endpoint: raw.url, fetchImpl: fetch });
    return {
      dialect, card, endpoint: raw.url,
      send: (text) => transport.sendMessage(sendRequest(text)),
      stream: (text) => transport.sendMessageStream(sendRequest(text)),
    };
  }
  throw new Error(`unknown A2A dialect ${dialect}`);
}

/** "echo: …" text of a send result or of the collected stream events (both dialects → v1.0 shapes). */
export function echoText(resultOrEvents) {
  const items = Array.isArray(resultOrEvents) ? resultOrEvents : [resultOrEvents];
  const texts = [];
  for (const it of items) {
    const arts = [];
    if (it?.artifacts) arts.push(...it.artifacts);
    if (it?.task?.artifacts) arts.push(...it.task.artifacts);
    const payload = it?.payload ?? it;
    if (payload?.$case === 'artifactUpdate') arts.push(payload.value.artifact);
    if (payload?.$case === 'task') arts.push(...(payload.value.artifacts ?? []));
    if (it?.artifact) arts.push(it.artifact);
    for (const a of arts) for (const p of a?.parts ?? []) if (p.content?.$case === 'text') texts.push(p.content.value);
  }
  return texts.join('\n');
}
