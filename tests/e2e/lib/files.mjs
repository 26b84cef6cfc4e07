// Reading files another process is still appending to (the gateway's audit log, rsyslog's output).
import fs from 'node:fs';

/** The complete, non-empty lines of `file` (the last one may still be being written). */
export function completeLines(file) {
  const text = fs.readFileSync(file, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
}
