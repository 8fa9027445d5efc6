// Go's parsers whose texts upstream errors embed: strconv (ParseUint, ParseInt with their
// NumError texts), time.Duration arithmetic and time.Parse(RFC3339) with its ParseError texts,
// as the query-parameter conversions and the streaming subresources use them.
import { goQuote } from './go-format.js';
// ---------------------------------------------------------------------------------------------
// strconv and fmt texts

const SYNTAX = 'invalid syntax';
const RANGE = 'value out of range';

/** A strconv.NumError: `strconv.ParseInt: parsing "abc": invalid syntax`. */
export class GoNumError extends Error {
  constructor(
    readonly func: string,
    readonly num: string,
    readonly why: typeof SYNTAX | typeof RANGE,
  ) {
    super(`strconv.${func}: parsing ${goQuote(num)}: ${why}`);
  }
}

/** strconv.ParseUint(s, 10, bitSize): digits only (no sign, no prefix, no `_`); the overflow is
 *  reported at the digit that causes it, before any later character is looked at. */
export function goParseUint(s: string, bitSize: number): bigint {
  if (s === '') throw new GoNumError('ParseUint', s, SYNTAX);
  const max = (1n << BigInt(bitSize)) - 1n;
  let n = 0n;
  for (const ch of s) {
    if (ch < '0' || ch > '9') throw new GoNumError('ParseUint', s, SYNTAX);
    n = n * 10n + BigInt(ch.charCodeAt(0) - 48);
    if (n > max) throw new GoNumError('ParseUint', s, RANGE);
  }
  return n;
}

/** strconv.ParseInt(s, 10, bitSize): an optional `+`/`-`, then ParseUint's digits. */
export function goParseInt(s: string, bitSize = 64): bigint {
  if (s === '') throw new GoNumError('ParseInt', s, SYNTAX);
  let neg = false;
  let digits = s;
  if (s[0] === '+') digits = s.slice(1);
  else if (s[0] === '-') {
    neg = true;
    digits = s.slice(1);
  }
  let un: bigint;
  try {
    un = goParseUint(digits, 64);
  } catch (e) {
    if (!(e instanceof GoNumError) || e.why !== RANGE) throw new GoNumError('ParseInt', s, SYNTAX);
    un = (1n << 64n) - 1n;
  }
  const cutoff = 1n << BigInt(bitSize - 1);
  if ((!neg && un >= cutoff) || (neg && un > cutoff)) throw new GoNumError('ParseInt', s, RANGE);
  return neg ? -un : un;
}

/** time.Duration(n) * unit: int64 arithmetic, wrapping as Go's does. */
export function goDurationNs(n: bigint, unitNs: bigint): bigint {
  return BigInt.asIntN(64, n * unitNs);
}

// ---------------------------------------------------------------------------------------------
// time.Parse(time.RFC3339, s), as metav1.Time.UnmarshalQueryParameter calls it

const RFC3339 = '2006-01-02T15:04:05Z07:00';
/** metav1.Time's zero value, 0001-01-01T00:00:00Z, in Unix milliseconds. */
export const GO_ZERO_TIME_MS = -62135596800000;

/** The time package's own quote(): bytes outside printable ASCII as \xNN. */
function timeQuote(bin: string): string {
  let out = '"';
  for (const ch of bin) {
    const b = ch.charCodeAt(0);
    if (b >= 0x80 || b < 0x20) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  }
  return out + '"';
}

const isDigit = (s: string, i: number) => i < s.length && s[i]! >= '0' && s[i]! <= '9';

/** time's getnum: one or two digits (exactly two when fixed). */
function getnum(s: string, fixed: boolean): { n: number; rest: string } | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : { n: s.charCodeAt(0) - 48, rest: s.slice(1) };
  return { n: (s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), rest: s.slice(2) };
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/**
 * time.Parse with the RFC3339 layout: Go's general parser (the fast path accepts a subset of
 * it with the same results), so a one-digit hour and `,` before fractional seconds pass, and
 * every failure has Go's text (`parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse
 * "x" as "2006"`, `...: month out of range`, `...: extra text: "..."`). Unix ms of the instant.
 */
export function goParseRFC3339(input: string): number {
  // Go slices bytes: work on a string of bytes (one char per byte).
  const bin = Buffer.from(input, 'utf8').toString('latin1');
  let value = bin;
  const cannot = (layoutElem: string, valueElem: string) =>
    new Error(`parsing time ${timeQuote(bin)} as ${timeQuote(RFC3339)}: cannot parse ${timeQuote(valueElem)} as ${timeQuote(layoutElem)}`);
  const outOfRange = (what: string) => new Error(`parsing time ${timeQuote(bin)}: ${what} out of range`);
  let year = 0;
  let month = -1;
  let day = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let offset = 0;
  const chunks: [string, string][] = [
    ['', '2006'],
    ['-', '01'],
    ['-', '02'],
    ['T', '15'],
    [':', '04'],
    [':', '05'],
    ['', 'Z07:00'],
  ];
  for (const [prefix, std] of chunks) {
    for (const c of prefix) {
      if (value[0] !== c) throw cannot(prefix, value);
      value = value.slice(1);
    }
    const hold = value;
    let bad = false;
    let range = '';
    switch (std) {
      case '2006':
        if (value.length < 4 || !isDigit(value, 0) || !/^\d{4}$/.test(value.slice(0, 4))) bad = true;
        else {
          year = Number(value.slice(0, 4));
          value = value.slice(4);
        }
        break;
      case '01':
      case '02':
      case '04':
      case '05': {
        const g = getnum(value, true);
        if (!g) {
          bad = true;
          break;
        }
        value = g.rest;
        if (std === '01') {
          month = g.n;
          if (month <= 0 || month > 12) range = 'month';
        } else if (std === '02') day = g.n;
        else if (std === '04') {
          min = g.n;
          if (min >= 60) range = 'minute';
        } else {
          sec = g.n;
          if (sec >= 60) {
            range = 'second';
            break;
          }
          // Fractional seconds the layout does not name are taken anyway (up to 9 digits count).
          if (value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigit(value, 1)) {
            let n = 2;
            while (n < value.length && isDigit(value, n)) n++;
            nsec = Number(value.slice(1, Math.min(n, 10)).padEnd(9, '0'));
            value = value.slice(n);
          }
        }
        break;
      }
      case '15': {
        const g = getnum(value, false);
        if (!g) bad = true;
        else {
          hour = g.n;
          value = g.rest;
          if (hour >= 24) range = 'hour';
        }
        break;
      }
      case 'Z07:00': {
        if (value[0] === 'Z') {
          value = value.slice(1);
          break;
        }
        if (value.length < 6 || value[3] !== ':') {
          bad = true;
          break;
        }
        const sign = value[0];
        const hh = getnum(value.slice(1, 3), true);
        const mm = hh ? getnum(value.slice(4, 6), true) : undefined;
        value = value.slice(6);
        if (!hh || !mm) bad = true;
        const hr = hh?.n ?? 0;
        const mi = mm?.n ?? 0;
        if (hr > 24) range = 'time zone offset hour';
        if (mi > 60) range = 'time zone offset minute';
        offset = (hr * 60 + mi) * 60;
        if (sign === '-') offset = -offset;
        else if (sign !== '+') bad = true;
        break;
      }
    }
    if (range) throw outOfRange(range);
    if (bad) throw cannot(std, hold);
  }
  if (value.length) throw new Error(`parsing time ${timeQuote(bin)}: extra text: ${timeQuote(value)}`);
  if (day < 1 || day > daysIn(month, year)) throw outOfRange('day');
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, Math.floor(nsec / 1e6));
  return d.getTime() - offset * 1000;
}

/** metav1.Time.UnmarshalQueryParameter: "" and "null" are the zero time. */
export function unmarshalTimeQueryParameter(s: string): number {
  if (s === '' || s === 'null') return GO_ZERO_TIME_MS;
  return goParseRFC3339(s);
}
