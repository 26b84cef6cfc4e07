// Runs the real `portcullis serve` for the end-to-end tests: writes a config in the stable core
// format (DESIGN.md), makes the audit signing key with `portcullis keygen`, starts the binary and
// waits until /readyz answers 200 on the admin port.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, tlsFetch, waitFor } from './net.mjs';
import { startProcess } from './procs.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The portcullis binary: $PORTCULLIS_BIN, else the first built one found in build/. */
export function portcullisBinary() {
  const candidates = [process.env.PORTCULLIS_BIN, ...['release', 'e2e', 'debug', 'asan'].map((d) => path.join(repoRoot, 'build', d, 'portcullis'))];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  throw new Error('no portcullis binary: set PORTCULLIS_BIN or build it (cmake --build build/e2e --target portcullis)');
}

const q = (s) => JSON.stringify(String(s)); // YAML accepts JSON strings

/**
 * Writes `<dir>/portcullis.yaml`. `routes` is a list of {name, prefix, protocol, upstream};
 * `sinks` an optional list of {type, address, tls: {ca, cert, key}}; `extraConfig` top-level YAML
 * appended as is (e.g. "label_ttl: 2s"). Paths are absolute.
 */
export function writeGatewayConfig(dir, { pkiDir, listenPort, publicUrl, adminPort, routes, policiesDir, entities, sinks = [], signingKey, extraConfig = '' }) {
  const lines = [
    'listeners:',
    '  - name: agents',
    `    address: ${q(`127.0.0.1:${listenPort}`)}`,
    `    public_url: ${q(publicUrl)}`,
    '    tls:',
    `      cert: ${q(`${pkiDir}/gateway.pem`)}`,
    `      key: ${q(`${pkiDir}/gateway.key`)}`,
    `      client_ca: ${q(`${pkiDir}/ca.pem`)}`,
    'admin:',
    `  address: ${q(`127.0.0.1:${adminPort}`)}`,
    '  tls:',
    `    cert: ${q(`${pkiDir}/gateway.pem`)}`,
    `    key: ${q(`${pkiDir}/gateway.key`)}`,
    `    client_ca: ${q(`${pkiDir}/ops-ca.pem`)}`,
    '  allowed_identities: ["spiffe://example.org/ops/oncall"]',
    'routes:',
  ];
  for (const r of routes) {
    lines.push(`  - name: ${q(r.name)}`, `    prefix: ${q(r.prefix)}`, `    protocol: ${r.protocol}`, `    upstream: ${q(r.upstream)}`);
  }
  lines.push('policies:', `  dir: ${q(policiesDir)}`);
  if (entities) lines.push(`  entities: ${q(entities)}`);
  lines.push('  policy_errors: deny');
  lines.push('audit:', `  dir: ${q(path.join(dir, 'audit'))}`, '  mode: strict');
  if (signingKey) lines.push(`  signing_key: ${q(signingKey)}`);
  if (sinks.length) {
    lines.push('  sinks:');
    for (const s of sinks) {
      lines.push(`    - type: ${s.type}`, `      address: ${q(s.address)}`);
      if (s.tls) {
        lines.push('      tls:', `        ca: ${q(s.tls.ca)}`);
        if (s.tls.cert) lines.push(`        cert: ${q(s.tls.cert)}`, `        key: ${q(s.tls.key)}`);
        if (s.tls.serverName) lines.push(`        server_name: ${q(s.tls.serverName)}`);
      }
    }
  }
  if (extraConfig) lines.push(extraConfig.trim());
  const file = path.join(dir, 'portcullis.yaml');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * Starts a gateway in `dir` (created if needed) and waits for /readyz. Returns
 * { url, publicUrl, adminUrl, configFile, auditDir, proc, opsFetch, metrics(), reload(), stop() }.
 */
export async function startGateway(dir, { pkiDir, routes, policiesDir, entities, sinks, logDir, extraConfig }) {
  const bin = portcullisBinary();
  fs.mkdirSync(dir, { recursive: true });
  const keysDir = path.join(dir, 'keys');
  if (!fs.existsSync(path.join(keysDir, 'audit.key'))) {
    execFileSync(bin, ['keygen', '--out', keysDir], { stdio: 'pipe' });
  }
  const listenPort = await freePort();
  const adminPort = await freePort();
  const publicUrl = `https://127.0.0.1:${listenPort}`;
  const configFile = writeGatewayConfig(dir, {
    pkiDir, listenPort, publicUrl, adminPort, routes, policiesDir, entities, sinks,
    signingKey: path.join(keysDir, 'audit.key'), extraConfig,
  });
  const proc = startProcess('portcullis', bin, ['serve', '--config', configFile], { logDir: logDir ?? dir });
  const ops = tlsFetch(pkiDir, 'ops', { caFile: 'ca.pem' });
  const adminUrl = `https://127.0.0.1:${adminPort}`;
  try {
    await waitFor(async () => {
      if (proc.exited()) throw new Error(`portcullis exited ${JSON.stringify(proc.exited())}:\n${proc.output()}`);
      const r = await ops.fetch(`${adminUrl}/readyz`);
      return r.status === 200;
    }, { timeoutMs: 20000, what: 'portcullis /readyz' });
  } catch (e) {
    await proc.stop('SIGKILL');
    ops.close();
    throw new Error(`gateway did not become ready: ${e.message}\n--- portcullis output ---\n${proc.output()}`);
  }
  return {
    url: publicUrl,
    publicUrl,
    adminUrl,
    configFile,
    auditDir: path.join(dir, 'audit'),
    publicKey: path.join(keysDir, 'audit.pub'),
    bin,
    proc,
    opsFetch: ops.fetch,
    async metrics() {
      const r = await ops.fetch(`${adminUrl}/metrics`);
      return r.text();
    },
    /** POST /reload as the operator; returns { status, body }. */
    async reload() {
      const r = await ops.fetch(`${adminUrl}/reload`, { method: 'POST' });
      return { status: r.status, body: await r.text() };
    },
    auditFiles() {
      const d = path.join(dir, 'audit');
      return fs.readdirSync(d).filter((f) => f.endsWith('.jsonl')).sort().map((f) => path.join(d, f));
    },
    /** `portcullis audit verify` on the log; returns { code, output }. */
    verifyAudit(files) {
      const args = ['audit', 'verify', ...(files ?? this.auditFiles()), '--public-key', path.join(keysDir, 'audit.pub')];
      const r = spawnSync(bin, args, { encoding: 'utf8' });
      return { code: r.status, output: `${r.stdout}${r.stderr}`, command: [bin, ...args].join(' ') };
    },
    async stop() {
      const r = await proc.stop('SIGTERM', 8000);
      ops.close();
      return r;
    },
  };
}
