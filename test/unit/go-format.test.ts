// Go fmt renderings that upstream messages embed.
import { describe, it, expect } from 'vitest';
import { goFloat, goPrint, goQuote } from '../../src/apimachinery/go-format.js';
import { checkObject } from '../../src/apimachinery/decode.js';
import { podDef } from '../../src/registry/pod/strategy.js';

describe('goPrint (%+v of unstructured JSON)', () => {
  it.each([
    [{ metadata: { labels: 'invalid' } }, 'map[metadata:map[labels:invalid]]'],
    [{ b: 1, a: [1, 'x', true, null] }, 'map[a:[1 x true <nil>] b:1]'],
    [{ Z: 1, a: 2, _: 3 }, 'map[Z:1 _:3 a:2]'],
    [1.5, '1.5'],
    [1e21, '1e+21'],
    [0.00001, '1e-05'],
    [{}, 'map[]'],
  ])('%j → %s', (v, want) => {
    expect(goPrint(v)).toBe(want);
  });
});

describe('goQuote (strconv.Quote)', () => {
  it.each([
    ['plain', '"plain"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['tab\tnl\n', '"tab\\tnl\\n"'],
    ['\x00\x7f', '"\\x00\\x7f"'],
    ['é漢', '"é漢"'],
    ['\u2028', '"\\u2028"'],
  ])('%j → %s', (v, want) => {
    expect(goQuote(v)).toBe(want);
  });
  it('goFloat uses two-digit exponents', () => {
    expect(goFloat(-2.5e-7)).toBe('-2.5e-07');
  });
});

describe('converter errors (runtime.DefaultUnstructuredConverter)', () => {
  const first = (obj: unknown) => checkObject(obj, podDef.schema, 'Pod').converterErrors[0];
  it.each([
    [{ metadata: { labels: 'x' } }, 'cannot restore map from string'],
    [{ metadata: { labels: ['x'] } }, 'cannot restore map from slice'],
    [{ spec: 'x' }, 'cannot restore struct from: string'],
    [{ spec: { containers: 'x' } }, 'cannot restore slice from string'],
    [{ spec: { containers: { a: 1 } } }, 'cannot restore slice from map'],
    [{ spec: { hostname: 5 } }, 'cannot convert int64 to string'],
    [{ spec: { hostname: true } }, 'unrecognized type: string'],
    [{ spec: { priority: 'x' } }, 'unrecognized type: int32'],
    [{ spec: { priority: 1.5 } }, 'cannot convert float64 to int32'],
    [{ spec: { hostNetwork: 'yes' } }, 'unrecognized type: bool'],
  ])('%j → %s', (obj, want) => {
    expect(first(obj)).toBe(want);
  });
});
