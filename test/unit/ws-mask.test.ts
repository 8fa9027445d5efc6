// Our bufferutil-shaped masking for ws gives exactly ws's byte-by-byte result, at every alignment,
// through the word loop (short buffers) and the WebAssembly one (longer, several windows of it).
import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mask, unmask } from '../../src/streaming/ws-mask.js';

const bytewise = (b: Uint8Array, m: Uint8Array) => {
  for (let i = 0; i < b.length; i++) b[i] = b[i]! ^ m[i & 3]!;
};

describe('ws masking', () => {
  it('unmasks in place like the byte loop, for every offset and many lengths', () => {
    const m = randomBytes(4);
    for (let offset = 0; offset < 8; offset++) {
      for (const len of [0, 1, 3, 4, 5, 31, 32, 33, 36, 63, 64, 67, 100, 511, 512, 527, 1000, 65_537, 600_001]) {
        const base = randomBytes(len + 16);
        const a = Buffer.from(base).subarray(offset, offset + len);
        const b = Buffer.from(base).subarray(offset, offset + len);
        unmask(a, m);
        bytewise(b, m);
        expect(a.equals(b)).toBe(true);
      }
    }
  });

  it('masks into an output buffer at an offset, leaving the source and the rest alone', () => {
    const m = randomBytes(4);
    const src = randomBytes(777);
    const copy = Buffer.from(src);
    const out = Buffer.alloc(800, 0xaa);
    mask(src, m, out, 10, 700);
    const want = Buffer.from(src.subarray(0, 700));
    bytewise(want, m);
    expect(out.subarray(10, 710).equals(want)).toBe(true);
    expect(out.subarray(0, 10).every((x) => x === 0xaa)).toBe(true);
    expect(out.subarray(710).every((x) => x === 0xaa)).toBe(true);
    expect(src.equals(copy)).toBe(true);
  });
});
