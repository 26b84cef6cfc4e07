'use strict';
// Literal pools and renderers shared by the generator: Cedar string/pattern literals, the
// extension-function argument pools (valid and invalid spellings), and the entity universe.
//
// The pools are chosen for the corners the language reference calls out: Long overflow at
// ±2^63, `like` with literal and wildcard stars, IPv4/IPv6 ranges (and the IPv4-embedded IPv6
// form Cedar refuses), decimal's four-digit precision and range, datetime leap days, offsets and
// pre-1970 instants, duration unit order and overflow.

// Longs written in policy text, where Cedar parses them itself (so the whole 64-bit range is
// fair game; -9223372036854775808 is only legal as a negated literal).
const POLICY_LONGS = [
  '0', '1', '2', '3', '7', '10', '42', '100', '999', '1000', '1001', '5000',
  '-1', '-5', '-1000',
  '9223372036854775807', '-9223372036854775808', '9223372036854775806',
  '4611686018427387904', '3037000500', '-3037000500', '4294967296',
  '9007199254740993',
];

// Longs written into entity/context JSON: JavaScript numbers, so inside ±2^53.
const JSON_LONGS = [
  0, 1, 2, 3, 7, 10, 42, 100, 999, 1000, 1001, 5000, -1, -5, -1000,
  9007199254740991, -9007199254740991, 3037000500, 4294967296, 12, 17, 23,
];

const STRINGS = [
  '', 'a', 'b', 'ab', 'abc', 'alice', 'bob', 'admin', 'read-secrets', 'x y', '*', 'a*b', 'a*',
  '\\', '"', "it's", 'héllo', '日本', '😀', 'new\nline', 'tab\there', '/data/reports/q1.csv',
  '/data/', '/etc/passwd', '/data/../etc/passwd', 'echo', 'get-sum', 'ABC', 'aaa',
];

const IPS_VALID = [
  '127.0.0.1', '10.1.2.3', '10.0.0.0/8', '192.168.0.1/24', '192.168.0.0/16', '192.168.7.9',
  '224.0.0.1', '239.255.255.255', '0.0.0.0', '0.0.0.0/0', '255.255.255.255', '127.0.0.0/8',
  '127.255.255.254', '1.2.3.4/32', '::1', '::', '::/0', 'fe80::1', 'ff02::1', 'ff00::/8',
  '2001:db8::/32', '2001:db8::1', '2001:db8:0:0:0:0:0:1', '::1/128', '::ffff:7f00:1',
  '::ffff:0:0/96', '10.0.0.1/8',
];
const IPS_INVALID = [
  '1.2.3.256', '::ffff:1.2.3.4', '::ffff:127.0.0.1', '10.0.0.0/33', 'abc', '', '01.2.3.4',
  '1.2.3', '::1/129', '1.2.3.4/', ' 1.2.3.4', '1.2.3.4/08', '::1%eth0',
];

const DECIMALS_VALID = [
  '0.0', '1.0', '-1.5', '3.14', '0.0001', '1000.0001', '-0.0001', '1000.0', '999.9999',
  '922337203685477.5807', '-922337203685477.5808', '12.5', '12.50', '-0.0', '1.2345',
];
const DECIMALS_INVALID = [
  '1', '1.', '1.23456', '.5', 'abc', '922337203685477.5808', '-922337203685477.5809', '1.2.3',
  '+1.0', '', '1e3', ' 1.0',
];

const DATETIMES_VALID = [
  '2024-01-01', '2024-02-29', '2024-06-15T12:30:00Z', '2024-06-15T12:30:00.123Z',
  '2024-06-15T12:30:00+0130', '2024-06-15T12:30:00.500-0800', '1969-12-31T23:59:59Z',
  '1969-12-31T12:00:00.001Z', '1970-01-01', '0001-01-01', '9999-12-31T23:59:59.999Z',
  '2000-03-01T00:00:00-2359', '2024-12-31T23:59:59+2359', '2025-03-09T09:00:00Z',
  '2025-03-09T17:59:59Z', '1900-02-28T00:00:00Z',
];
const DATETIMES_INVALID = [
  '2023-02-29', '2024-13-01', '2024-1-1', '2024-01-01T24:00:00Z', '2024-01-01T23:59:60Z',
  '2024-01-01T12:00:00', '2024-01-01 12:00:00Z', '2024-01-01T12:00:00.12Z', 'abc', '',
  '2024-01-01T12:00:00+24:00', '2024-01-01T12:00:00+2400', '1900-02-29', '2024-00-10',
  '+2024-01-01', '2024-01-01T12:00Z',
];

const DURATIONS_VALID = [
  '0ms', '1ms', '1s', '1m', '1h', '1d', '1d2h3m4s5ms', '-1d', '-2h30m', '90m', '36h', '1000d',
  '24h', '86400000ms', '9223372036854775807ms', '106751991167d', '1h1ms', '-9223372036854775808ms',
  '2d12h',
];
const DURATIONS_INVALID = [
  '', '1', '1x', '2h1d', '1.5h', 'd', '--1d', '1d-2h', '9223372036854775808ms', '106751991168d',
  '1 d', '1h1h', 'ms', '-',
];

// The entity universe: a handful of ids per type so scope constraints and `==` match often.
const ENTITY_IDS = {
  User: ['alice', 'bob', 'carol', '', 'dave "d"', 'émile'],
  Group: ['admins', 'eng', 'ops', 'all'],
  Doc: ['d1', 'd2', 'a/b.txt', 'secret'],
  Folder: ['root', 'home', 'tmp'],
  'Ns::Thing': ['t1', 't2'],
};
const ACTION_IDS = ['read', 'write', 'delete', 'list', 'tools/call'];
const ACTION_GROUPS = ['readOnly', 'all'];
const ENTITY_TYPES = Object.keys(ENTITY_IDS);
// Types used in `is` tests, including one that never occurs.
const IS_TYPES = [...ENTITY_TYPES, 'Action', 'Other', 'Ns::Other'];

// Renders a JavaScript string as a Cedar string literal, exercising Cedar's escapes.
function cedarString(s, rng) {
  let out = '"';
  for (const ch of s) {
    out += escapeChar(ch, rng, false);
  }
  return out + '"';
}

// Renders a `like` pattern: parts are {lit: string} or {wild: true}.
function cedarPattern(parts, rng) {
  let out = '"';
  for (const part of parts) {
    if (part.wild) {
      out += '*';
      continue;
    }
    for (const ch of part.lit) {
      out += escapeChar(ch, rng, true);
    }
  }
  return out + '"';
}

function escapeChar(ch, rng, inPattern) {
  switch (ch) {
    case '"': return '\\"';
    case '\\': return '\\\\';
    case '\n': return '\\n';
    case '\r': return '\\r';
    case '\t': return '\\t';
    case '\0': return '\\0';
    case '*': return inPattern ? '\\*' : '*';
    case "'": return rng && rng.chance(0.5) ? "\\'" : "'";
    default: {
      const cp = ch.codePointAt(0);
      if (cp > 0x7e && rng && rng.chance(0.5)) return `\\u{${cp.toString(16)}}`;
      return ch;
    }
  }
}

function cedarUid(type, id, rng) {
  return `${type}::${cedarString(id, rng)}`;
}

module.exports = {
  POLICY_LONGS, JSON_LONGS, STRINGS,
  IPS_VALID, IPS_INVALID, DECIMALS_VALID, DECIMALS_INVALID,
  DATETIMES_VALID, DATETIMES_INVALID, DURATIONS_VALID, DURATIONS_INVALID,
  ENTITY_IDS, ACTION_IDS, ACTION_GROUPS, ENTITY_TYPES, IS_TYPES,
  cedarString, cedarPattern, cedarUid,
};
