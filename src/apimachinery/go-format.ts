// Go's fmt renderings that upstream messages embed: %q of a string (strconv.Quote) and %v/%+v of
// a decoded JSON value (map[string]interface{} with sorted keys, []interface{}, int64 for whole
// numbers as k8s.io/apimachinery/pkg/util/json decodes them, float64 otherwise).

/** unicode.IsPrint: categories L, M, N, P, S and the ASCII space. */
export function goIsPrint(cp: number): boolean {
  return cp === 0x20 || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(cp));
}

/** strconv.Quote (what %q and NumError print). */
export function goQuote(s: string): string {
  // Printable ASCII without quotes or backslashes (most names) is quoted as it is.
  if (/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0xd800 && cp <= 0xdfff)
      out += '\\ufffd'; // a lone surrogate is no rune
    else if (goIsPrint(cp)) out += ch;
    else if (cp === 7) out += '\\a';
    else if (cp === 8) out += '\\b';
    else if (cp === 12) out += '\\f';
    else if (cp === 10) out += '\\n';
    else if (cp === 13) out += '\\r';
    else if (cp === 9) out += '\\t';
    else if (cp === 11) out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

/** %v of a float64: shortest representation, exponent form below 1e-4 and from 1e21, two-digit exponents. */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e21)) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '');
    return `${m}e${sign}${digits.padStart(2, '0')}`;
  }
  return String(n);
}

/** %v (and %+v, the same for these types) of a JSON value as Go holds it unstructured. */
export function goPrint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : goFloat(v);
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  const o = v as Record<string, unknown>;
  // fmt sorts map keys (internal/fmtsort): strings by byte order.
  const keys = Object.keys(o).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `map[${keys.map((k) => `${k}:${goPrint(o[k])}`).join(' ')}]`;
}

/** Go's time.Duration String(), as the kubelet prints back-off delays and metrics windows: 300ms, 10s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const total = ms / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = Number((total % 60).toFixed(3));
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${sec}s`;
}

// The micro sign and the Greek mu, escaped: the bundle is ASCII, and a regex or key spelled with
// them would not survive it.
const DURATION_UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, '\u00b5s': 1e3, '\u03bcs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration: nanoseconds of `1h30m`, `1.5s`, `-2us`; throws an Error with Go's text. */
export function goParseDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${goQuote(text)}`);
  let s = text;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s !== '') {
    const [whole, intPart = '', frac] = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    if (intPart === '' && !frac) throw invalid();
    s = s.slice(whole.length);
    const u = /^[^0-9.]*/.exec(s)![0];
    if (u === '') throw new Error(`time: missing unit in duration ${goQuote(text)}`);
    const unit = DURATION_UNIT_NS[u];
    if (unit === undefined) throw new Error(`time: unknown unit ${goQuote(u)} in duration ${goQuote(text)}`);
    s = s.slice(u.length);
    total += Number(intPart || '0') * unit + (frac ? Number(`0.${frac}`) * unit : 0);
    if (total > 9223372036854775807) throw invalid();
  }
  return neg ? -total : total;
}
