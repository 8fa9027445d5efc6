// cel-go's string.format(list) from its strings extension: printf-style clauses %s, %d, %f, %e,
// %b, %o, %x, %X and %% with an optional precision (`%.2f`), formatting CEL values the way cel-go
// does (lists as `[a, b]`, maps as `{k:v}` with sorted keys, durations as seconds).
import type { Environment } from '@marcbachmann/cel-js';
import { celError } from './errors.js';

const fail = (msg: string) => celError(`error during formatting: ${msg}`);

const typeName = (v: unknown): string => {
  if (v === null) return 'null_type';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Map || Object.getPrototypeOf(v) === Object.prototype) return 'map';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Date) return 'google.protobuf.Timestamp';
  return (v as object).constructor?.name === 'Duration' ? 'google.protobuf.Duration' : 'object';
};

function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(n).includes('e') ? n.toPrecision(17).replace(/\.?0+e/, 'e') : String(n);
}

/** %s of any value. */
function str(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return v;
    case 'bigint':
    case 'boolean':
      return String(v);
    case 'number':
      return goFloat(v);
  }
  if (Array.isArray(v)) return `[${v.map(str).join(', ')}]`;
  const proto = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (v instanceof Map || proto === Object.prototype || proto === null) {
    const entries = [...(v instanceof Map ? v.entries() : Object.entries(v as object))]
      .map(([k, x]) => [str(k), str(x)] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return `{${entries.map(([k, x]) => `${k}:${x}`).join(', ')}}`;
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof Date) return v.toISOString().replace('.000Z', 'Z');
  if (typeName(v) === 'google.protobuf.Duration') {
    const d = v as { seconds: bigint; nanos: number };
    const frac = d.nanos ? `.${String(Math.abs(d.nanos)).padStart(9, '0').replace(/0+$/, '')}` : '';
    return `${d.seconds}${frac}s`;
  }
  return String(v);
}

const intLike = (v: unknown): bigint | undefined => (typeof v === 'bigint' ? v : undefined);

function clause(verb: string, precision: number | undefined, v: unknown): string {
  switch (verb) {
    case 's':
      return str(v);
    case 'd': {
      const i = intLike(v);
      if (i === undefined) throw fail(`decimal clause can only be used on integers, was given ${typeName(v)}`);
      return String(i);
    }
    case 'f':
    case 'e': {
      const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
      const name = verb === 'f' ? 'fixed-point' : 'scientific';
      if (n === undefined) throw fail(`${name} clause can only be used on doubles, was given ${typeName(v)}`);
      if (!Number.isFinite(n)) return goFloat(n);
      if (verb === 'f') return n.toFixed(precision ?? 6);
      return n.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
    }
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      const radix = verb === 'b' ? 2 : verb === 'o' ? 8 : 16;
      let out: string;
      if (typeof v === 'bigint') out = (v < 0n ? '-' : '') + (v < 0n ? -v : v).toString(radix);
      else if (typeof v === 'boolean' && verb === 'b') out = v ? '1' : '0';
      else if ((typeof v === 'string' || v instanceof Uint8Array) && radix === 16) out = Buffer.from(v).toString('hex');
      else {
        const name = verb === 'b' ? 'binary' : verb === 'o' ? 'octal' : 'hex';
        const allowed = verb === 'b' ? 'integers and bools' : verb === 'o' ? 'integers' : 'integers, byte buffers, and strings';
        throw fail(`${name} clause can only be used on ${allowed}, was given ${typeName(v)}`);
      }
      return verb === 'X' ? out.toUpperCase() : out;
    }
  }
  throw fail(`unrecognized formatting clause "${verb}"`);
}

export function formatString(format: string, args: unknown[]): string {
  let out = '';
  let next = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    if (format[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    const m = /^(?:\.(\d+))?([a-zA-Z])/.exec(format.slice(i + 1));
    if (!m) throw fail('unexpected end of string');
    if (next >= args.length) throw fail(`index ${next} out of range`);
    out += clause(m[2]!, m[1] === undefined ? undefined : Number(m[1]), args[next++]);
    i += m[0].length;
  }
  return out;
}

export function registerStringFormat(env: Environment): void {
  env.registerFunction('string.format(list): string', (s: string, args: unknown[]) => formatString(s, args));
}
