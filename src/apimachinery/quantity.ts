// resource.Quantity arithmetic for validation: exact comparison, upstream's canonical String()
// (what error messages print: "must be less than or equal to cpu limit of 500m") and the fields
// of its int64 representation (what go-cmp prints in the Pod update diff). Syntax errors are the
// decoder's business (src/apimachinery/decode.ts answers them with upstream's 400); here an unparsable
// value is `undefined`.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The exact value is num / 10^den. */
  num: bigint;
  den: number;
  format: QuantityFormat;
  /** int64Amount the way ParseQuantity stores it (value × 10^scale), and the cached string. */
  value: bigint;
  scale: number;
  cached?: string;
}

const SYNTAX = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_NAMES: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_NAMES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const pow10 = (n: number) => 10n ** BigInt(n);
const abs = (n: bigint) => (n < 0n ? -n : n);

export function parseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  const str = String(input).trim();
  if (str === '0') return { num: 0n, den: 0, format: 'DecimalSI', value: 0n, scale: 0, cached: '0' };
  const m = SYNTAX.exec(str);
  if (!m) return undefined;
  let numPart = m[1]!;
  const suffix = m[2]!;
  let negative = false;
  if (numPart[0] === '+' || numPart[0] === '-') {
    negative = numPart[0] === '-';
    numPart = numPart.slice(1);
  }
  const dot = numPart.indexOf('.');
  if (numPart.indexOf('.', dot + 1) !== -1 && dot !== -1) return undefined;
  const whole = dot === -1 ? numPart : numPart.slice(0, dot);
  const frac = dot === -1 ? '' : numPart.slice(dot + 1);
  if (!whole && !frac) return undefined;
  let format: QuantityFormat;
  let exp10 = 0;
  let exp2 = 0;
  if (suffix in DECIMAL_SUFFIX) {
    format = 'DecimalSI';
    exp10 = DECIMAL_SUFFIX[suffix]!;
  } else if (suffix in BINARY_SUFFIX) {
    format = 'BinarySI';
    exp2 = BINARY_SUFFIX[suffix]!;
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    exp10 = Number(suffix.slice(1));
  } else return undefined;
  const digits = BigInt((whole || '0') + frac);
  let num = digits * 2n ** BigInt(exp2);
  let den = frac.length;
  if (exp10 >= 0) num *= pow10(exp10);
  else den += -exp10;
  if (negative) num = -num;
  // What ParseQuantity keeps in its int64 fast path, and whether it caches the input string.
  const shifted = (whole || '0') + frac;
  const scale = format === 'BinarySI' ? -frac.length : exp10 - frac.length;
  const value = (negative ? -1n : 1n) * BigInt(shifted) * 2n ** BigInt(exp2);
  let cached: string | undefined;
  if (format === 'BinarySI') {
    if (exp2 % 10 === 0 && !frac && (BigInt(shifted) & 7n) !== 0n) cached = str;
  } else if (scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0') cached = str;
  return { num, den, format, value, scale, cached };
}

/** Exact comparison: -1, 0 or 1. */
export function compareQuantity(a: Quantity, b: Quantity): number {
  const d = Math.max(a.den, b.den);
  const x = a.num * pow10(d - a.den);
  const y = b.num * pow10(d - b.den);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const isNegative = (q: Quantity) => q.num < 0n;

/** Whether the value is a whole number (upstream checks MilliValue()%1000 == 0). */
export function isWhole(q: Quantity): boolean {
  return q.num % pow10(q.den) === 0n;
}

/** upstream Quantity.String(): the canonical form. */
export function quantityString(q: Quantity): string {
  if (q.num === 0n) return '0';
  const sign = q.num < 0n ? '-' : '';
  let format = q.format;
  const whole = isWhole(q);
  if (format === 'BinarySI') {
    const v = abs(q.num) / pow10(q.den);
    if (!whole || v < 1024n) format = 'DecimalSI';
    else {
      let n = v;
      let k = 0;
      while (k < BINARY_NAMES.length - 1 && n % 1024n === 0n) {
        n /= 1024n;
        k++;
      }
      return `${sign}${n}${BINARY_NAMES[k]}`;
    }
  }
  let mant = abs(q.num);
  let exp = -q.den;
  while (mant % 10n === 0n) {
    mant /= 10n;
    exp++;
  }
  const r = ((exp % 3) + 3) % 3;
  if (r === 1) {
    mant *= 10n;
    exp -= 1;
  } else if (r === 2) {
    mant *= 100n;
    exp -= 2;
  }
  // Nothing finer than nano: round up (away from zero), as upstream does.
  if (exp < -9) {
    const div = pow10(-9 - exp);
    mant = (mant + div - 1n) / div;
    exp = -9;
  }
  const suffix = format === 'DecimalExponent' ? (exp === 0 ? '' : `e${exp}`) : (DECIMAL_NAMES[exp] ?? `e${exp}`);
  return `${sign}${mant}${suffix}`;
}

const ceilDiv = (a: bigint, b: bigint) => (a % b === 0n ? a / b : a / b + (a > 0n === b > 0n ? 1n : 0n));

/** upstream Quantity.Value(): the value rounded up to a whole number. */
export function quantityValue(q: Quantity): bigint {
  return ceilDiv(q.num, pow10(q.den));
}

/** upstream Quantity.MilliValue(): the value × 1000, rounded up. */
export function quantityMilliValue(q: Quantity): bigint {
  return ceilDiv(q.num * 1000n, pow10(q.den));
}

/** a / b rounded up, for the downward API's divisors (upstream: math.Ceil of the quotient). */
export { ceilDiv };
