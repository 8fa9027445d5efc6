// Kubernetes' CEL quantity library (apiserver/pkg/cel/library/quantity.go): quantity(), isQuantity()
// and exact arithmetic and comparison on resource.Quantity values.
import type { Environment } from '@marcbachmann/cel-js';
import { parseQuantity } from '../../../apimachinery/quantity.js';
import { celError } from './errors.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const pow10 = (n: number) => 10n ** BigInt(n);

/** An exact quantity: num / 10^den. */
export class CelQuantity {
  constructor(
    readonly num: bigint,
    readonly den: number,
  ) {}
  static parse(s: string): CelQuantity | undefined {
    const q = parseQuantity(s);
    return q && new CelQuantity(q.num, q.den);
  }
  compare(o: CelQuantity): number {
    const d = Math.max(this.den, o.den);
    const x = this.num * pow10(d - this.den);
    const y = o.num * pow10(d - o.den);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  plus(o: CelQuantity, sign: bigint): CelQuantity {
    const d = Math.max(this.den, o.den);
    return new CelQuantity(this.num * pow10(d - this.den) + sign * o.num * pow10(d - o.den), d);
  }
  /** The value as an int64, when it is a whole number in range (resource.Quantity.AsInt64). */
  asInt64(): bigint | undefined {
    const p = pow10(this.den);
    if (this.num % p !== 0n) return undefined;
    const v = this.num / p;
    return v < INT64_MIN || v > INT64_MAX ? undefined : v;
  }
  equals(o: CelQuantity): boolean {
    return this.compare(o) === 0;
  }
}

const FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const Q = 'kubernetes.Quantity';

export function registerQuantity(env: Environment): void {
  const int = (i: bigint) => new CelQuantity(i, 0);
  env
    .registerType(Q, CelQuantity)
    .registerFunction(`quantity(string): ${Q}`, (s: string) => {
      const q = CelQuantity.parse(s);
      if (!q) throw celError(FORMAT_ERROR);
      return q;
    })
    .registerFunction('isQuantity(string): bool', (s: string) => CelQuantity.parse(s) !== undefined)
    .registerFunction(`${Q}.sign(): int`, (q: CelQuantity) => BigInt(q.num > 0n ? 1 : q.num < 0n ? -1 : 0))
    .registerFunction(`${Q}.isInteger(): bool`, (q: CelQuantity) => q.asInt64() !== undefined)
    .registerFunction(`${Q}.asInteger(): int`, (q: CelQuantity) => {
      const v = q.asInt64();
      if (v === undefined) throw celError('cannot convert value to integer');
      return v;
    })
    .registerFunction(`${Q}.asApproximateFloat(): double`, (q: CelQuantity) => Number(q.num) / 10 ** q.den)
    .registerFunction(`${Q}.add(${Q}): ${Q}`, (a: CelQuantity, b: CelQuantity) => a.plus(b, 1n))
    .registerFunction(`${Q}.add(int): ${Q}`, (a: CelQuantity, b: bigint) => a.plus(int(b), 1n))
    .registerFunction(`${Q}.sub(${Q}): ${Q}`, (a: CelQuantity, b: CelQuantity) => a.plus(b, -1n))
    .registerFunction(`${Q}.sub(int): ${Q}`, (a: CelQuantity, b: bigint) => a.plus(int(b), -1n))
    .registerFunction(`${Q}.isLessThan(${Q}): bool`, (a: CelQuantity, b: CelQuantity) => a.compare(b) < 0)
    .registerFunction(`${Q}.isGreaterThan(${Q}): bool`, (a: CelQuantity, b: CelQuantity) => a.compare(b) > 0)
    .registerFunction(`${Q}.compareTo(${Q}): int`, (a: CelQuantity, b: CelQuantity) => BigInt(a.compare(b)))
    .registerOperator(`${Q} == ${Q}`, (a: CelQuantity, b: CelQuantity) => a.equals(b));
}
