// The parts of cel-go's strings extension (version 2+, as Kubernetes' base environment declares it)
// that the CEL engine lacks: charAt, replace and strings.quote. lowerAscii, upperAscii,
// trim, split, join, indexOf, lastIndexOf and substring are the engine's own.
import type { Environment } from '@marcbachmann/cel-js';
import { celError } from './errors.js';

/** Code points, as cel-go indexes strings (by rune, not by UTF-16 unit). */
const runes = (s: string) => Array.from(s);

/** Go's strings.Replace: at most `limit` replacements (all when negative); an empty `from` matches before every rune and at the end. */
function replace(s: string, from: string, to: string, limit: bigint): string {
  const max = limit < 0n ? Infinity : Number(limit);
  let n = 0;
  if (from === '') {
    const r = runes(s);
    let out = '';
    for (let i = 0; i <= r.length; i++) {
      if (n < max) {
        out += to;
        n++;
      }
      if (i < r.length) out += r[i];
    }
    return out;
  }
  let out = '';
  let rest = s;
  while (n < max) {
    const i = rest.indexOf(from);
    if (i < 0) break;
    out += rest.slice(0, i) + to;
    rest = rest.slice(i + from.length);
    n++;
  }
  return out + rest;
}

/** strings.quote: a double-quoted CEL string literal with the escapes cel-go writes. */
function quote(s: string): string {
  let out = '"';
  for (const c of s) {
    switch (c) {
      case '\x07':
        out += '\\a';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\v':
        out += '\\v';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      default:
        out += c;
    }
  }
  return out + '"';
}

class StringsNamespace {}

export function registerStrings(env: Environment): void {
  env
    .registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
      const r = runes(s);
      if (i < 0n || i > BigInt(r.length)) throw celError(`index out of range: ${i}`);
      return r[Number(i)] ?? '';
    })
    .registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => replace(s, a, b, -1n))
    .registerFunction('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => replace(s, a, b, n))
    .registerType('StringsNamespace', StringsNamespace)
    .registerConstant('strings', 'StringsNamespace', new StringsNamespace())
    .registerFunction('StringsNamespace.quote(string): string', (_: unknown, s: string) => quote(s));
}
