// A rule's `fieldPath` (upstream's ValidFieldPath in apiextensions-apiserver schema/cel/validation.go):
// a relative JSON path of `.name` and `['name']` steps that must name a property (or, under
// additionalProperties, a key) of the schema the rule sits on. A valid path is normalized the way
// upstream's field.Path prints it: `.a.b` is `a.b`, `.labels['x.y']` under a map is `labels[x.y]`.
import type { Structural } from '../apiextensions/schema/structural.js';

/** Tokens: '.', '[', ']', a single-quoted string (kept with its quotes) or the text between delimiters. */
function tokens(path: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i]!;
    if (c === '.' || c === '[' || c === ']') {
      out.push(c);
      i++;
      continue;
    }
    let j = i;
    if (c === "'") {
      j = i + 1;
      while (j < path.length && !(path[j] === "'" && path[j - 1] !== '\\')) j++;
      j = Math.min(j + 1, path.length);
    } else {
      while (j < path.length && !'.[]'.includes(path[j]!)) j++;
    }
    out.push(path.slice(i, j));
    i = j;
  }
  return out;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', "'": "'", '\\': '\\' };

function unescapeSingleQuote(s: string): string {
  return s.replace(/\\./g, (m) => {
    const r = ESCAPES[m[1]!];
    if (r === undefined) throw new Error(`invalid string literal: invalid escape char ${m}`);
    return r;
  });
}

/** The normalized field path `jsonPath` names under `schema`, or an Error saying why it names nothing. */
export function validFieldPath(jsonPath: string, schema: Structural): { path: string; schema: Structural } | Error {
  let out = '';
  let s: Structural | undefined = schema;
  const append = (name: string): Error | undefined => {
    if (s?.properties) {
      out = out ? `${out}.${name}` : name;
      s = s.properties[name];
      if (!s) return new Error('does not refer to a valid field');
    } else if (s?.additionalProperties) {
      out = `${out}[${name}]`;
      s = s.additionalProperties.schema;
    } else return new Error('does not refer to a valid field');
    return undefined;
  };
  const ts = tokens(jsonPath);
  for (let i = 0; i < ts.length; i++) {
    const tok = ts[i]!;
    if (tok === '[') {
      const lit = ts[++i];
      if (lit === undefined) return new Error('unexpected end of JSON path');
      if (lit.length < 2 || lit[0] !== "'" || lit[lit.length - 1] !== "'") return new Error(`expected single quoted string but got ${lit}`);
      let name: string;
      try {
        name = unescapeSingleQuote(lit.slice(1, -1));
      } catch (e) {
        return e as Error;
      }
      const err = append(name);
      if (err) return err;
      const close = ts[++i];
      if (close === undefined) return new Error('unexpected end of JSON path');
      if (close !== ']') return new Error(`expected ] but got ${close}`);
    } else if (tok === '.') {
      const name = ts[++i];
      if (name === undefined) return new Error('unexpected end of JSON path');
      const err = append(name);
      if (err) return err;
    } else return new Error(`expected [ or . but got: ${tok}`);
  }
  return { path: out, schema: s ?? schema };
}
