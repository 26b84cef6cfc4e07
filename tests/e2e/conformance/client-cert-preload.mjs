// Node --import preload for the MCP conformance runner, which cannot present a client certificate
// by itself: it makes every fetch (Node's built-in fetch and the `undici` package's request) in the
// process use an undici Agent that trusts our CA and presents an agent certificate.
// Environment: PORTCULLIS_E2E_PKI (directory from pki/make-pki.sh), PORTCULLIS_E2E_IDENTITY (default alpha).
import fs from 'node:fs';
import { Agent, setGlobalDispatcher } from 'undici';

const pki = process.env.PORTCULLIS_E2E_PKI;
if (!pki) throw new Error('client-cert-preload: PORTCULLIS_E2E_PKI is not set');
const identity = process.env.PORTCULLIS_E2E_IDENTITY ?? 'alpha';
setGlobalDispatcher(new Agent({
  connect: {
    ca: fs.readFileSync(`${pki}/ca.pem`),
    cert: fs.readFileSync(`${pki}/${identity}.pem`),
    key: fs.readFileSync(`${pki}/${identity}.key`),
  },
}));
