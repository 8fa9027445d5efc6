// The strconv parsers agnhost's inputs go through upstream, with their error texts: pflag's int
// flags (ParseInt with base 0: `0x1f`, `0o17`, `1_000`), its bool flags (ParseBool), and the
// handlers' query parameters (Atoi).
import { GoNumError, goParseInt } from '../apimachinery/go-strconv.js';

/** strconv.Atoi: a decimal int64, `strconv.Atoi: parsing "x": invalid syntax` otherwise. */
export function goAtoi(s: string): number {
  try {
    return Number(goParseInt(s, 64));
  } catch (e) {
    if (e instanceof GoNumError) throw new GoNumError('Atoi', s, e.why);
    throw e;
  }
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** strconv.ParseInt(s, 0, 64): a sign, then a base prefix (0x, 0o, 0b, or 0 for octal) and digits that `_` may separate. */
export function goParseIntBase0(s: string): number {
  const syntax = () => new GoNumError('ParseInt', s, 'invalid syntax');
  let body = s;
  let neg = false;
  if (body[0] === '+' || body[0] === '-') {
    neg = body[0] === '-';
    body = body.slice(1);
  }
  if (body === '') throw syntax();
  let base = 10n;
  let digits = body;
  if (body[0] === '0' && body.length > 1) {
    const p = body[1]!.toLowerCase();
    if (p === 'x' || p === 'o' || p === 'b') {
      base = p === 'x' ? 16n : p === 'o' ? 8n : 2n;
      digits = body.slice(2);
    } else {
      base = 8n;
      digits = body.slice(1);
    }
  }
  let n = 0n;
  let any = false;
  for (const ch of digits) {
    if (ch === '_') continue;
    const d = DIGITS.indexOf(ch.toLowerCase());
    if (d < 0 || BigInt(d) >= base) throw syntax();
    n = n * base + BigInt(d);
    any = true;
  }
  if (!any) throw syntax();
  if (body.includes('_') && !underscoreOK(body)) throw syntax();
  const limit = neg ? 1n << 63n : (1n << 63n) - 1n;
  if (n > limit) throw new GoNumError('ParseInt', s, 'value out of range');
  return Number(neg ? -n : n);
}

/** strconv's underscoreOK: every `_` follows a digit (or the base prefix) and precedes one. */
function underscoreOK(body: string): boolean {
  let saw = '^';
  let i = 0;
  const hex = /^0[xX]/.test(body);
  if (/^0[xXoObB]/.test(body)) {
    i = 2;
    saw = '0';
  }
  for (; i < body.length; i++) {
    const c = body[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) saw = '0';
    else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool. */
export function goParseBool(s: string): boolean {
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new GoNumError('ParseBool', s, 'invalid syntax');
}
