// Schema `pattern`s are Go RE2 expressions upstream (kube-openapi compiles them with regexp.Compile).
// This translates the RE2 spellings that JavaScript lacks and refuses what RE2 itself refuses, so a
// pattern means the same thing here as in the API server.
//
// Handled: leading flag groups `(?i)`, `(?s)`, `(?m)` (and combinations), named groups `(?P<n>...)`,
// `\A` and `\z` anchors, `\Q...\E` literal runs, POSIX classes inside brackets (`[[:alpha:]]`),
// one-letter Unicode classes (`\pL`), RE2's ASCII-only `\s` (no \v, no Unicode spaces) and its `.`,
// which matches `\r` (JavaScript's stops at every line terminator). `\S` inside brackets keeps
// JavaScript's Unicode meaning.
// Refused (RE2 has none of them, so upstream rejects the pattern): backreferences, lookaround,
// possessive/atomic groups, inline flags after the start and the `U` flag.
// Risk: JavaScript's engine backtracks where RE2 runs in linear time, so a pattern with nested
// quantifiers (`(a+)+$`) can take exponential time on a crafted value. Callers that accept schemas
// from users should bound the length of values they match (upstream's CRD validation bounds the
// cost of CEL, not of patterns, since RE2 needs no bound).

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const escapeLiteral = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

export class PatternError extends Error {}

/** Translates an RE2 pattern to a JavaScript RegExp with the same meaning, or throws PatternError. */
export function compilePattern(pattern: string): RegExp {
  let src = pattern;
  let flags = '';
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' || f === 's' || f === 'm') {
        if (!flags.includes(f)) flags += f;
      } else {
        throw new PatternError(`invalid or unsupported Perl syntax: \`(?${lead[1]}\``);
      }
    }
    src = src.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new PatternError('trailing backslash at end of expression');
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += escapeLiteral(lit);
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (!inClass && n === 'A') {
        out += '^';
        i++;
        continue;
      }
      if (!inClass && n === 'z') {
        out += '$(?![\\s\\S])';
        i++;
        continue;
      }
      if (n === 'p' || n === 'P') {
        if (src[i + 2] !== '{' && src[i + 2] !== undefined) {
          out += `\\${n}{${src[i + 2]}}`;
          i += 2;
          continue;
        }
      }
      if (n === 's') {
        out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
        i++;
        continue;
      }
      if (n === 'S' && !inClass) {
        out += '[^\\t\\n\\f\\r ]';
        i++;
        continue;
      }
      if (/[1-9]/.test(n)) throw new PatternError(`invalid escape sequence: \`\\${n}\``);
      if (n === 'Z' || n === 'G' || n === 'k') throw new PatternError(`invalid escape sequence: \`\\${n}\``);
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
        const cls = m ? POSIX[m[2]!] : undefined;
        if (m && cls !== undefined) {
          if (m[1]) throw new PatternError('negated POSIX classes are not supported here');
          out += cls;
          i += m[0].length - 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading `]` (or `^]`) is a literal in RE2 as in POSIX.
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 2;
        continue;
      }
      throw new PatternError(`invalid or unsupported Perl syntax: \`(?${rest.slice(0, 1)}\``);
    }
    if (c === '.' && !flags.includes('s')) {
      out += '[^\\n]';
      continue;
    }
    if ((c === '+' || c === '?' || c === '*' || c === '}') && src[i + 1] === '+') {
      throw new PatternError(`invalid nested repetition operator: \`${c}+\``);
    }
    out += c;
  }
  try {
    return new RegExp(out, flags + 'u');
  } catch {
    try {
      return new RegExp(out, flags);
    } catch (e) {
      throw new PatternError(`error parsing regexp: ${(e as Error).message}`);
    }
  }
}
