'use strict';
// Hand-picked corners of the language, run as one extra group before the random ones: each
// expression becomes `permit (principal, action, resource) when { <expr> };`, so with only
// permits in the set, `reasons` lists exactly the satisfied ones and `errors` the failing ones —
// a per-expression comparison with cedar-wasm. (Parse-time corners such as duplicate record keys
// cannot share a policy set with others; the parser's own unit tests cover those.)

const CORNERS = [
  // like: wildcards, escaped stars, escapes, Unicode
  '"a*b" like "a\\*b"', '"axxb" like "a\\*b"', '"a*b" like "a*b"', '"" like "*"', '"" like ""',
  '"abc" like "*c"', '"abc" like "a**c"', '"\\\\" like "\\\\"', '"日本語" like "日*"',
  '"\\u{1F600}x" like "?x"', '"a\\nb" like "a*b"', '"aaa" like "*a*a*a*"', '"aa" like "*a*a*a*"',
  // Long arithmetic and overflow
  '9223372036854775807 + 0 == 9223372036854775807', '9223372036854775807 + 1 > 0',
  '-9223372036854775808 - 1 < 0', '-9223372036854775808 < 0', '-(-9223372036854775808) > 0',
  '3037000500 * 3037000500 > 0', '3037000499 * 3037000499 > 0', '-1 * -9223372036854775808 > 0',
  '9223372036854775807 * -1 == -9223372036854775807', '- - 5 == 5', '2 - 3 * 4 == -10',
  // short circuits and errors
  'true || (1 + "a" == 2)', '(1 + "a" == 2) || true', 'false && context.nope', 'context.nope && false',
  'if true then true else 1 + "a" == 2', 'if 1 then true else false', '!1', '1 && true',
  'true && 1', 'false || 1',
  // has, attribute access, records
  'context has input', 'context has nope', 'context.input has amount', '1 has x',
  '"s" has x', '[1] has x', '{a: 1} has a', '{a: 1} has b', '{"x y": 1} has "x y"',
  '{a: {b: 1}} has a.b', '{a: {b: 1}} has a.c', 'context has input.amount',
  'User::"nobody" has age', 'User::"nobody".age == 1', '{a: 1}.b == 1', '{a: 1}["a"] == 1',
  'principal has owner.age', '{a: 1, b: [1, 2]} == {b: [2, 1], a: 1}',
  // equality across types and sets
  '1 == "1"', '[1, 1] == [1]', '[] == []', '[1, [2]] .contains([2])', '[1].contains("1")',
  '[1, 2].containsAll([2])', '[1, 2].containsAny([3, 2])', '[].isEmpty()', '[[]].isEmpty()',
  '[User::"alice"].contains(User::"alice")', 'User::"alice" == User::"alice"',
  'User::"alice" == Group::"alice"', '1.contains(1)', '[1].containsAll(1)',
  // in, is
  'User::"alice" in User::"alice"', 'User::"nobody" in User::"nobody"', 'User::"alice" in Group::"eng"',
  'User::"alice" in Group::"all"', 'User::"alice" in [Group::"eng", Group::"x"]',
  'User::"alice" in []', '1 in [1]', 'User::"alice" in 1', 'User::"alice" is User',
  'User::"alice" is Group', 'User::"alice" is User in Group::"all"', '1 is User',
  'Ns::Thing::"t1" is Ns::Thing', 'action in Action::"all"', 'action in [Action::"read"]',
  // tags
  'User::"alice".hasTag("role")', 'User::"alice".getTag("role") == "admin"',
  'User::"alice".getTag("nope") == 1', 'User::"nobody".hasTag("role")', 'User::"alice".hasTag(1)',
  // ip
  'ip("127.0.0.1").isLoopback()', 'ip("::1").isLoopback()', 'ip("127.2.3.4").isLoopback()',
  'ip("224.0.0.1").isMulticast()', 'ip("ff02::1").isMulticast()', 'ip("10.0.0.1").isIpv4()',
  'ip("::").isIpv6()', 'ip("10.1.2.3").isInRange(ip("10.0.0.0/8"))',
  'ip("10.0.0.0/8").isInRange(ip("10.0.0.0/16"))', 'ip("10.0.0.0/16").isInRange(ip("10.0.0.0/8"))',
  'ip("::ffff:7f00:1").isInRange(ip("::ffff:0:0/96"))', 'ip("127.0.0.1").isInRange(ip("::ffff:0:0/96"))',
  'ip("::ffff:1.2.3.4").isIpv6()', 'ip("1.2.3.4/33").isIpv4()', 'ip("10.0.0.1/8") == ip("10.0.0.2/8")',
  'ip("2001:db8::1").isInRange(ip("2001:db8::/32"))', 'ip("1.2.3.4") == ip("::ffff:102:304")',
  // decimal
  'decimal("1.0") == decimal("1.0000")', 'decimal("1.2345").lessThan(decimal("1.2346"))',
  'decimal("-0.0") == decimal("0.0")', 'decimal("922337203685477.5807").greaterThan(decimal("0.0"))',
  'decimal("922337203685477.5808") == decimal("0.0")', 'decimal("1.23456") == decimal("0.0")',
  'decimal("1") == decimal("1.0")', 'decimal("1.0") < decimal("2.0")',
  'decimal("-922337203685477.5808").lessThanOrEqual(decimal("-922337203685477.5808"))',
  // datetime and duration
  'datetime("2024-02-29").offset(duration("1d")) == datetime("2024-03-01")',
  'datetime("2023-02-29") == datetime("2023-03-01")',
  'datetime("2024-06-15T12:30:00+0130") == datetime("2024-06-15T11:00:00Z")',
  'datetime("2024-06-15T12:30:00.500-0800").toTime() == duration("20h30m500ms")',
  'datetime("1969-12-31T23:59:59Z").toDate() == datetime("1969-12-31")',
  'datetime("1969-12-31T23:59:59Z").toTime() == duration("23h59m59s")',
  'datetime("1970-01-01").durationSince(datetime("1969-12-31")) == duration("1d")',
  'datetime("2024-01-01") < datetime("2024-01-02")', 'duration("1h") <= duration("60m")',
  'duration("1d2h3m4s5ms").toMilliseconds() == 93784005', 'duration("-36h").toDays() == -1',
  'duration("-90m").toHours() == -1', 'duration("59s").toMinutes() == 0',
  'duration("9223372036854775807ms").toSeconds() > 0', 'duration("106751991167d") > duration("0ms")',
  'duration("106751991168d") > duration("0ms")', 'duration("2h1d") == duration("26h")',
  'datetime("9999-12-31T23:59:59.999Z").offset(duration("1ms")) > datetime("2024-01-01")',
  'datetime("2024-01-01").offset(duration("9223372036854775807ms")) > datetime("2024-01-01")',
  'datetime("0001-01-01").toDate() == datetime("0001-01-01")',
  'datetime("2024-01-01T23:59:60Z") == datetime("2024-01-02")', 'datetime("2024-01-01") == 1',
  'context.time.toDate() == datetime("2024-06-15")',
  // the request and its context
  'context.amount + 1 > context.amount', 'context.input.path like "/data/*"',
  'context.labels.contains("read-secrets")', 'principal.owner == User::"bob"',
  'principal.owner.age > 0', 'principal.friends.contains(User::"carol")', 'principal["x y"] == "z"',
  'resource.owner == principal',
];

// The entities and requests the corners run against.
const CORNER_ENTITIES = [
  { uid: { type: 'User', id: 'alice' }, attrs: { age: 30, 'x y': 'z', owner: { __entity: { type: 'User', id: 'bob' } }, friends: [{ __entity: { type: 'User', id: 'carol' } }] }, parents: [{ type: 'Group', id: 'eng' }], tags: { role: 'admin', level: 3 } },
  { uid: { type: 'User', id: 'bob' }, attrs: { age: 40, owner: { __entity: { type: 'User', id: 'nobody' } } }, parents: [] },
  { uid: { type: 'Group', id: 'eng' }, attrs: {}, parents: [{ type: 'Group', id: 'all' }] },
  { uid: { type: 'Group', id: 'all' }, attrs: {}, parents: [] },
  { uid: { type: 'Doc', id: 'd1' }, attrs: { owner: { __entity: { type: 'User', id: 'alice' } } }, parents: [] },
  { uid: { type: 'Action', id: 'read' }, attrs: {}, parents: [{ type: 'Action', id: 'all' }] },
  { uid: { type: 'Action', id: 'all' }, attrs: {}, parents: [] },
];

const dt = (s) => ({ __extn: { fn: 'datetime', arg: s } });
const CORNER_REQUESTS = [
  { principal: { type: 'User', id: 'alice' }, action: { type: 'Action', id: 'read' }, resource: { type: 'Doc', id: 'd1' },
    context: { amount: 5, labels: ['read-secrets'], time: dt('2024-06-15T12:30:00Z'), input: { path: '/data/x', amount: 1 } } },
  { principal: { type: 'User', id: 'bob' }, action: { type: 'Action', id: 'write' }, resource: { type: 'Doc', id: 'd2' },
    context: { amount: 9007199254740991, labels: [], time: dt('1969-12-31T23:00:00-0200'), input: {} } },
  { principal: { type: 'User', id: 'nobody' }, action: { type: 'Action', id: 'all' }, resource: { type: 'User', id: 'alice' }, context: {} },
];

function cornerGroup() {
  return {
    index: -1,
    policies: CORNERS.map((expr) => `permit (principal, action, resource) when { ${expr} };`),
    entities: CORNER_ENTITIES,
    requests: CORNER_REQUESTS,
    cyclic: false,
  };
}

module.exports = { cornerGroup, CORNERS };
