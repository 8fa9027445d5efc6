// Kubernetes' CEL semver library (apiserver/pkg/cel/library/semverlib.go, version 1): semver(),
// isSemver() (optionally normalizing `v1.2` to `1.2.0`), the version parts and comparison by
// semantic-version precedence (blang/semver).
import type { Environment } from '@marcbachmann/cel-js';
import { celError } from './errors.js';

export class CelSemver {
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: string[],
  ) {}
  compare(o: CelSemver): number {
    for (const k of ['major', 'minor', 'patch'] as const) if (this[k] !== o[k]) return this[k] < o[k] ? -1 : 1;
    if (!this.pre.length || !o.pre.length) return this.pre.length ? -1 : o.pre.length ? 1 : 0;
    for (let i = 0; i < Math.max(this.pre.length, o.pre.length); i++) {
      const a = this.pre[i];
      const b = o.pre[i];
      if (a === undefined || b === undefined) return a === undefined ? -1 : 1;
      if (a === b) continue;
      const an = /^\d+$/.test(a);
      const bn = /^\d+$/.test(b);
      if (an && bn) return BigInt(a) < BigInt(b) ? -1 : 1;
      if (an !== bn) return an ? -1 : 1;
      return a < b ? -1 : 1;
    }
    return 0;
  }
  equals(o: CelSemver): boolean {
    return this.compare(o) === 0;
  }
}

const DIGITS = /^[0-9]+$/;
const ALNUM = /^[0-9A-Za-z-]+$/;
const leadingZero = (p: string) => p.length > 1 && p[0] === '0';
const q = (s: string) => JSON.stringify(s);

/** blang/semver's Parse: the version, or its error text. */
function parseStrict(s: string): CelSemver | string {
  if (!s) return 'Version string empty';
  const dot1 = s.indexOf('.');
  const dot2 = dot1 < 0 ? -1 : s.indexOf('.', dot1 + 1);
  if (dot2 < 0) return 'No Major.Minor.Patch elements found';
  const [major, minor] = [s.slice(0, dot1), s.slice(dot1 + 1, dot2)];
  let patch = s.slice(dot2 + 1);
  for (const [name, v] of [
    ['major', major],
    ['minor', minor],
  ] as const) {
    if (!DIGITS.test(v)) return `Invalid character(s) found in ${name} number ${q(v)}`;
    if (leadingZero(v)) return `${name[0]!.toUpperCase()}${name.slice(1)} number must not contain leading zeroes ${q(v)}`;
  }
  let build: string[] = [];
  let pre: string[] = [];
  const plus = patch.indexOf('+');
  if (plus >= 0) {
    build = patch.slice(plus + 1).split('.');
    patch = patch.slice(0, plus);
  }
  const dash = patch.indexOf('-');
  if (dash >= 0) {
    pre = patch.slice(dash + 1).split('.');
    patch = patch.slice(0, dash);
  }
  if (!DIGITS.test(patch)) return `Invalid character(s) found in patch number ${q(patch)}`;
  if (leadingZero(patch)) return `Patch number must not contain leading zeroes ${q(patch)}`;
  for (const p of pre) {
    if (!p) return 'Prerelease is empty';
    if (!ALNUM.test(p)) return `Invalid character(s) found in prerelease ${q(p)}`;
    if (DIGITS.test(p) && leadingZero(p)) return `Prerelease number must not contain leading zeroes ${q(p)}`;
  }
  for (const b of build) {
    if (!b) return 'Build meta data is empty';
    if (!ALNUM.test(b)) return `Invalid character(s) found in build meta data ${q(b)}`;
  }
  return new CelSemver(BigInt(major), BigInt(minor), BigInt(patch), pre);
}

/** With `normalize` (version 1 of the library): a leading v, missing minor/patch and leading zeros are accepted. */
function parseSemver(s: string, normalize: boolean): CelSemver | string {
  if (!normalize) return parseStrict(s);
  let t = s.startsWith('v') ? s.slice(1) : s;
  const m = /^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(.*)$/.exec(t);
  if (m) t = `${BigInt(m[1]!)}.${BigInt(m[2] ?? 0)}.${BigInt(m[3] ?? 0)}${m[4]}`;
  return parseStrict(t);
}

export function registerSemver(env: Environment): void {
  const S = 'kubernetes.Semver';
  const parse = (s: string, normalize: boolean) => {
    const v = parseSemver(s, normalize);
    if (typeof v === 'string') throw celError(v);
    return v;
  };
  env
    .registerType(S, CelSemver)
    .registerFunction(`semver(string): ${S}`, (s: string) => parse(s, false))
    .registerFunction(`semver(string, bool): ${S}`, (s: string, n: boolean) => parse(s, n))
    .registerFunction('isSemver(string): bool', (s: string) => typeof parseSemver(s, false) !== 'string')
    .registerFunction('isSemver(string, bool): bool', (s: string, n: boolean) => typeof parseSemver(s, n) !== 'string')
    .registerFunction(`${S}.major(): int`, (v: CelSemver) => v.major)
    .registerFunction(`${S}.minor(): int`, (v: CelSemver) => v.minor)
    .registerFunction(`${S}.patch(): int`, (v: CelSemver) => v.patch)
    .registerFunction(`${S}.isLessThan(${S}): bool`, (a: CelSemver, b: CelSemver) => a.compare(b) < 0)
    .registerFunction(`${S}.isGreaterThan(${S}): bool`, (a: CelSemver, b: CelSemver) => a.compare(b) > 0)
    .registerFunction(`${S}.compareTo(${S}): int`, (a: CelSemver, b: CelSemver) => BigInt(a.compare(b)))
    .registerOperator(`${S} == ${S}`, (a: CelSemver, b: CelSemver) => a.equals(b));
}
