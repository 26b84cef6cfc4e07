#!/usr/bin/env node
// The A2A remote agent of the end-to-end tests: a few lines on top of @a2a-js/sdk, unmodified.
// One JSON-RPC endpoint speaks v1.0 and v0.3 (the SDK's legacyCompat), streams its answer as a
// task: submitted → working → artifact "echo: <text>" → completed, with small pauses so a test can
// see events arrive one by one.
// Usage: node echo-agent.mjs --port N [--public-url URL]   (prints "echo agent listening on N")
import express from 'express';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { Role, TaskState } from '@a2a-js/sdk';
import { DefaultRequestHandler, InMemoryTaskStore } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

const { values } = parseArgs({
  options: { port: { type: 'string' }, 'public-url': { type: 'string' }, 'step-ms': { type: 'string' } },
});
const port = Number(values.port ?? 4001);
const base = values['public-url'] ?? `http://127.0.0.1:${port}`;
const stepMs = Number(values['step-ms'] ?? 150);
const endpoint = `${base}/a2a/jsonrpc`;

const card = {
  name: 'Echo agent',
  description: 'Answers every message with "echo: " and the message text.',
  supportedInterfaces: [
    { url: endpoint, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
    { url: endpoint, protocolBinding: 'JSONRPC', protocolVersion: '0.3', tenant: '' },
  ],
  provider: { organization: 'Portcullis tests', url: 'https://example.org' }, // the organisation, not an endpoint
  version: '1.0.0',
  capabilities: { streaming: true, pushNotifications: false, extensions: [] },
  securitySchemes: {},
  securityRequirements: [],
  defaultInputModes: ['text'],
  defaultOutputModes: ['text'],
  skills: [{ id: 'echo', name: 'Echo', description: 'Repeats the text.', tags: ['echo'], examples: ['hello'], inputModes: ['text'], outputModes: ['text'], securityRequirements: [] }],
  signatures: [],
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const textOf = (message) =>
  (message?.parts ?? []).map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('\n');
const status = (state, text) => ({
  state,
  timestamp: new Date().toISOString(),
  message: text === undefined ? undefined : {
    messageId: randomUUID(), contextId: '', taskId: '', role: Role.ROLE_AGENT,
    parts: [{ content: { $case: 'text', value: text }, metadata: {}, filename: '', mediaType: 'text/plain' }],
    metadata: {}, extensions: [], referenceTaskIds: [],
  },
});

const executor = {
  async execute(ctx, bus) {
    const { taskId, contextId } = ctx;
    const text = textOf(ctx.userMessage);
    bus.publish({ kind: 'task', data: { id: taskId, contextId, status: status(TaskState.TASK_STATE_SUBMITTED), artifacts: [], history: [ctx.userMessage], metadata: {} } });
    await sleep(stepMs);
    bus.publish({ kind: 'statusUpdate', data: { taskId, contextId, status: status(TaskState.TASK_STATE_WORKING), metadata: {} } });
    await sleep(stepMs);
    bus.publish({ kind: 'artifactUpdate', data: {
      taskId, contextId, append: false, lastChunk: true, metadata: {},
      artifact: { artifactId: randomUUID(), name: 'echo', description: '', metadata: {}, extensions: [],
        parts: [{ content: { $case: 'text', value: `echo: ${text}` }, metadata: {}, filename: '', mediaType: 'text/plain' }] },
    } });
    await sleep(stepMs);
    bus.publish({ kind: 'statusUpdate', data: { taskId, contextId, status: status(TaskState.TASK_STATE_COMPLETED), metadata: {} } });
    bus.finished();
  },
  async cancelTask(taskId, bus) {
    bus.publish({ kind: 'statusUpdate', data: { taskId, contextId: '', status: status(TaskState.TASK_STATE_CANCELED), metadata: {} } });
    bus.finished();
  },
};

const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
const app = express();
const cardMw = agentCardHandler({ agentCardProvider: handler, legacyCompat: { enabled: true } });
app.use('/.well-known/agent-card.json', cardMw);
app.use('/.well-known/agent.json', cardMw);
app.use('/a2a/jsonrpc', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication, legacyCompat: { enabled: true } }));
const server = app.listen(port, '127.0.0.1', () => console.log(`echo agent listening on ${port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
