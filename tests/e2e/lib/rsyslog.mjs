// A private rsyslogd receiving RELP over TLS (imrelp, OpenSSL driver) on a free loopback port and
// writing each message's MSG part, one per line, to <dir>/received.log — the SIEM of scenario 9.
import fs from 'node:fs';
import path from 'node:path';
import { completeLines } from './files.mjs';
import { freePort, waitForPort } from './net.mjs';
import { startProcess } from './procs.mjs';

export async function startRsyslog(dir, { pki, logDir }) {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const received = path.join(dir, 'received.log');
  const conf = path.join(dir, 'rsyslog.conf');
  fs.writeFileSync(conf, `
global(workDirectory="${dir}" maxMessageSize="1m")
# Direct queue: a record is in the file before RELP acknowledges it.
main_queue(queue.type="direct")
module(load="imrelp" tls.tlslib="openssl")
input(type="imrelp" address="127.0.0.1" port="${port}" maxDataSize="1m"
      tls="on" tls.cacert="${pki}/ca.pem" tls.mycert="${pki}/rsyslog.pem" tls.myprivkey="${pki}/rsyslog.key"
      tls.authmode="certvalid" tls.permittedpeer=["*"])
template(name="msgOnly" type="string" string="%msg%\\n")
template(name="raw" type="string" string="%rawmsg%\\n")
action(type="omfile" file="${received}" template="msgOnly" flushOnTXEnd="on" asyncWriting="off")
action(type="omfile" file="${path.join(dir, 'raw.log')}" template="raw")
`);
  const proc = startProcess('rsyslogd', 'rsyslogd', ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], { logDir: logDir ?? dir });
  await waitForPort(port, { timeoutMs: 10000 });
  return {
    port,
    address: `127.0.0.1:${port}`,
    /** The JSON texts rsyslog holds, byte for byte (each MSG from its first '{'). */
    lines() {
      if (!fs.existsSync(received)) return [];
      return completeLines(received).filter((l) => l.includes('{')).map((l) => l.slice(l.indexOf('{')));
    },
    /** The same, parsed. */
    records() { return this.lines().map((l) => JSON.parse(l)); },
    proc,
    stop: () => proc.stop(),
  };
}
