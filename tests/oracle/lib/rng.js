'use strict';
// A small seeded PRNG (xoshiro128**, seeded through splitmix32) so every generated case can be
// reproduced from (seed, group index) on any machine and any node version.

function splitmix32(a) {
  return function next() {
    a |= 0;
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    t ^= t >>> 15;
    return t >>> 0;
  };
}

class Rng {
  // seed: any integer; stream: a second integer (the group index) so groups are independent.
  constructor(seed, stream = 0) {
    const mix = splitmix32((Number(seed) * 2654435761) ^ (stream * 40503) ^ 0x5bd1e995);
    this.s = [mix(), mix(), mix(), mix()];
    if (this.s.every((x) => x === 0)) this.s[0] = 1;
  }

  // Uniform 32-bit unsigned integer.
  u32() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  // Uniform float in [0, 1).
  float() {
    return this.u32() / 4294967296;
  }

  // Uniform integer in [lo, hi] (inclusive).
  int(lo, hi) {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p) {
    return this.float() < p;
  }

  pick(array) {
    return array[Math.floor(this.float() * array.length)];
  }

  // Picks a key of `weights` ({name: weight}) with probability proportional to its weight.
  weighted(weights) {
    const entries = Object.entries(weights).filter(([, w]) => w > 0);
    let total = 0;
    for (const [, w] of entries) total += w;
    let x = this.float() * total;
    for (const [name, w] of entries) {
      x -= w;
      if (x < 0) return name;
    }
    return entries[entries.length - 1][0];
  }

  // A random subset (order kept) where each element is kept with probability p.
  subset(array, p) {
    return array.filter(() => this.chance(p));
  }

  shuffle(array) {
    const a = array.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

function rotl(x, k) {
  return (x << k) | (x >>> (32 - k));
}

module.exports = { Rng };
