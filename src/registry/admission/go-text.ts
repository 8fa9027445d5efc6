// Go's texts for what the webhook client prints: strconv.Quote (%q), encoding/json's syntax errors
// (its scanner's words: `invalid character 'g' looking for beginning of value`), and
// encoding/json's Marshal escaping. The webhook errors quote webhook names, UIDs and URLs with %q
// and pass the JSON decoder's errors through verbatim, so these decide the exact messages.

const NAMED: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** The inside of strconv.Quote's result (no surrounding quotes); `quote` is the delimiter escaped. */
function quoteBody(s: string, quote: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (NAMED[ch]) out += NAMED[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0x2028 || c === 0x2029 || c === 0xfeff)
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** strconv.Quote: Go's %q of a string. */
export const goQuote = (s: string): string => `"${quoteBody(s, '"')}"`;

/** encoding/json's quoteChar: a byte of the input as its syntax errors show it. */
function quoteChar(b: number): string {
  if (b === 0x27) return "'\\''";
  if (b === 0x22) return `'"'`;
  // string(c) of a byte is the rune with that value: 0xc3 shows as 'A' with a tilde (U+00C3).
  return `'${quoteBody(String.fromCodePoint(b), "'").replace(/\\'/g, "'")}'`;
}

/** An encoding/json SyntaxError: the message and the byte offset after the offending byte. */
export class GoJSONSyntaxError extends Error {
  override name = 'GoJSONSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const MAX_DEPTH = 10000;

/**
 * encoding/json's checkValid: throws GoJSONSyntaxError with the scanner's text for the first
 * byte that cannot continue a single JSON value (`unexpected end of JSON input` when it stops
 * short). Only the syntax is checked; values are not built.
 */
export function checkGoJSON(data: Uint8Array): void {
  let i = 0;
  const n = data.length;
  const fail = (context: string): never => {
    throw new GoJSONSyntaxError(`invalid character ${quoteChar(data[i]!)} ${context}`, i + 1);
  };
  const eof = (): never => {
    throw new GoJSONSyntaxError('unexpected end of JSON input', n);
  };
  const skipSpace = () => {
    while (i < n && isSpace(data[i]!)) i++;
  };
  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (i >= n) eof();
      if (data[i] !== word.charCodeAt(k)) fail(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(k))})`);
    }
    i++;
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= n) eof();
      const c = data[i]!;
      if (c === 0x22) {
        i++;
        return;
      }
      if (c === 0x5c) {
        i++;
        if (i >= n) eof();
        const e = data[i]!;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= n) eof();
            if (!isHex(data[i]!)) fail('in \\u hexadecimal character escape');
          }
          i++;
          continue;
        }
        if (!'bfnrt\\/"'.includes(String.fromCharCode(e))) fail('in string escape code');
        i++;
        continue;
      }
      if (c < 0x20) fail('in string literal');
      i++;
    }
  };
  const number = () => {
    if (data[i] === 0x2d) {
      i++;
      if (i >= n) eof();
      if (!isDigit(data[i]!)) fail('in numeric literal');
    }
    if (data[i] === 0x30) i++;
    else while (i < n && isDigit(data[i]!)) i++;
    if (i < n && data[i] === 0x2e) {
      i++;
      if (i >= n) eof();
      if (!isDigit(data[i]!)) fail('after decimal point in numeric literal');
      while (i < n && isDigit(data[i]!)) i++;
    }
    if (i < n && (data[i] === 0x65 || data[i] === 0x45)) {
      i++;
      if (i < n && (data[i] === 0x2b || data[i] === 0x2d)) i++;
      if (i >= n) eof();
      if (!isDigit(data[i]!)) fail('in exponent of numeric literal');
      while (i < n && isDigit(data[i]!)) i++;
    }
  };
  const key = () => {
    string();
    skipSpace();
    if (i >= n) eof();
    if (data[i] !== 0x3a) fail('after object key');
    i++;
  };
  // A loop over an explicit stack of open containers ('{' or '['): deep input cannot overflow the call stack.
  const stack: number[] = [];
  let wantValue = true;
  for (;;) {
    skipSpace();
    const top = stack[stack.length - 1];
    if (wantValue) {
      if (i >= n) eof();
      const c = data[i]!;
      if (c === 0x7b || c === 0x5b) {
        if (stack.length >= MAX_DEPTH) fail('exceeded max depth');
        stack.push(c);
        i++;
        skipSpace();
        if (i >= n) eof();
        if (data[i] === (c === 0x7b ? 0x7d : 0x5d)) {
          stack.pop();
          i++;
          wantValue = false;
        } else if (c === 0x7b) {
          if (data[i] !== 0x22) fail('looking for beginning of object key string');
          key();
        }
        continue;
      }
      if (c === 0x22) string();
      else if (c === 0x2d || isDigit(c)) number();
      else if (c === 0x74) literal('true');
      else if (c === 0x66) literal('false');
      else if (c === 0x6e) literal('null');
      else fail('looking for beginning of value');
      wantValue = false;
      continue;
    }
    if (top === undefined) {
      if (i < n) fail('after top-level value');
      return;
    }
    if (i >= n) eof();
    const c = data[i]!;
    if (top === 0x7b) {
      if (c === 0x2c) {
        i++;
        skipSpace();
        if (i >= n) eof();
        if (data[i] !== 0x22) fail('looking for beginning of object key string');
        key();
        wantValue = true;
      } else if (c === 0x7d) {
        stack.pop();
        i++;
      } else fail('after object key:value pair');
    } else if (c === 0x2c) {
      i++;
      wantValue = true;
    } else if (c === 0x5d) {
      stack.pop();
      i++;
    } else fail('after array element');
  }
}

/** encoding/json's Marshal of plain JSON data: its HTML-safe escaping of <, >, & and U+2028/2029. */
export function goMarshal(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The JSON type name encoding/json's UnmarshalTypeError gives a value. */
export function goJSONTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}
