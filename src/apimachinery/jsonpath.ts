// Kubernetes' JSONPath dialect (client-go util/jsonpath: parser.go, jsonpath.go, and the
// comparisons of its forked text/template funcs.go), as a CRD's additionalPrinterColumns and
// `kubectl -o jsonpath` templates use it: text with `{...}` actions holding fields (`.spec.x`,
// `.a\.b`), `['key']` (split at dots, as upstream's parser does), indexes and slices (`[0]`, `[-1]`,
// `[1:3]`, `[::2]`, `[*]`), unions (`[0,2]`), wildcards (`.*`), recursive descent (`..name`),
// filters (`[?(@.type=="Ready")]`, `==`, `!=`, `<`, `>`, `<=`, `>=`, and existence `[?(@.x)]`),
// quoted text, numbers, booleans, and `range`/`end` blocks. Values are decoded JSON; Go's
// distinction between int64 and float64 (which decides what filters may compare) follows the JSON
// numbers: whole numbers are int64, others float64, and a filter literal `1.0` is a float.
//
// And the CRD table convertor (apiextensions-apiserver registry/customresource/tableconvertor):
// each column's jsonPath is parsed as `{<jsonPath>}` with missing keys allowed, and only the first
// value found makes the cell.
import { goFloat, goPrint, goQuote, goIsPrint } from './go-format.js';

/** An error of parsing or evaluating a template, with upstream's text. */
export class JSONPathError extends Error {
  /**
   * The values upstream's failing step returns beside its error (often its input): an existence
   * filter counts them, so `[?(@.list[5])]` keeps the items whose list is too short.
   */
  constructor(
    message: string,
    readonly values: unknown[] = [],
  ) {
    super(message);
  }
}

// ---- the parse tree (node.go) ----

interface ListNode {
  t: 'list';
  nodes: Node[];
}
interface Param {
  value: number;
  known: boolean;
  /** The end of `[i]`, derived from its start: `[-1]` ends at the array's end. */
  derived: boolean;
}
type Node =
  | ListNode
  | { t: 'text'; text: string }
  | { t: 'field'; name: string }
  | { t: 'identifier'; name: string }
  | { t: 'array'; params: [Param, Param, Param] }
  | { t: 'filter'; left: ListNode; right: ListNode; op: string }
  | { t: 'int'; value: number }
  | { t: 'float'; value: number }
  | { t: 'bool'; value: boolean }
  | { t: 'wildcard' }
  | { t: 'recursive' }
  | { t: 'union'; lists: ListNode[] };

const EOF = -1;
const newList = (): ListNode => ({ t: 'list', nodes: [] });

const isSpace = (r: number) => r === 0x20 || r === 0x09;
const isEndOfLine = (r: number) => r === 0x0d || r === 0x0a;
/** unicode.IsDigit: decimal digits of any script. */
const isDigit = (r: number) => r >= 0 && /\p{Nd}/u.test(String.fromCodePoint(r));
const isAlphaNumeric = (r: number) => r === 0x5f || (r >= 0 && /[\p{L}\p{Nd}]/u.test(String.fromCodePoint(r)));
/** What may follow an identifier or field name. */
const isTerminator = (r: number) => isSpace(r) || isEndOfLine(r) || r === EOF || '.,[]$@{}'.includes(String.fromCodePoint(r));

/** fmt's %#U of a rune: U+002A '*'. */
function goRuneU(r: number): string {
  const hex = `U+${r.toString(16).toUpperCase().padStart(4, '0')}`;
  return goIsPrint(r) ? `${hex} '${String.fromCodePoint(r)}'` : hex;
}

const SLICE = /^(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?$/;
const DICT_KEY = /^'([^']*)'$/;
const FILTER = /^([^!<>=]+)([!<>=]+)(.+?)$/;
const INT64_MAX = 9223372036854775807;

/** strconv.Atoi on 64-bit: an optionally signed decimal in int64's range. */
function atoi(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Math.abs(n) > INT64_MAX ? undefined : n;
}

class Parser {
  private input = '';
  private pos = 0;
  private start = 0;
  private width = 0;
  root: ListNode = newList();

  parse(text: string): void {
    this.input = text;
    this.root = newList();
    this.pos = 0;
    this.start = 0;
    this.parseText(this.root);
  }

  private consumeText(): string {
    const v = this.input.slice(this.start, this.pos);
    this.start = this.pos;
    return v;
  }

  private next(): number {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const r = this.input.codePointAt(this.pos)!;
    this.width = r > 0xffff ? 2 : 1;
    this.pos += this.width;
    return r;
  }

  private peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  private backup(): void {
    this.pos -= this.width;
  }

  private parseText(cur: ListNode): void {
    for (;;) {
      if (this.input.startsWith('{', this.pos)) {
        if (this.pos > this.start) cur.nodes.push({ t: 'text', text: this.consumeText() });
        this.parseLeftDelim(cur);
        return;
      }
      if (this.next() === EOF) break;
    }
    if (this.pos > this.start) cur.nodes.push({ t: 'text', text: this.consumeText() });
  }

  private parseLeftDelim(cur: ListNode): void {
    this.pos += 1;
    this.consumeText();
    const node = newList();
    cur.nodes.push(node);
    this.parseInsideAction(node);
  }

  // Each step consumes one token and continues with the rest of the action; a loop stands in for
  // upstream's tail calls.
  private parseInsideAction(cur: ListNode): void {
    for (;;) {
      const rest = this.input.slice(this.pos);
      if (rest.startsWith('}')) {
        this.pos += 1;
        this.consumeText();
        this.parseText(this.root);
        return;
      }
      if (rest.startsWith('[?(')) {
        this.parseFilter(cur);
        continue;
      }
      if (rest.startsWith('..')) {
        this.parseRecursive(cur);
        continue;
      }
      const r = this.next();
      if (r === EOF || isEndOfLine(r)) throw new JSONPathError('unclosed action');
      if (r === 0x20 || r === 0x40 /* @ */ || r === 0x24 /* $ */) {
        // spaces, and the current object, which every step already starts from
        this.consumeText();
      } else if (r === 0x5b /* [ */) this.parseArray(cur);
      else if (r === 0x22 || r === 0x27) this.parseQuote(cur, r);
      else if (r === 0x2e /* . */) this.parseField(cur);
      else if (r === 0x2b || r === 0x2d || isDigit(r)) {
        this.backup();
        this.parseNumber(cur);
      } else if (isAlphaNumeric(r)) {
        this.backup();
        this.parseIdentifier(cur);
      } else throw new JSONPathError(`unrecognized character in action: ${goRuneU(r)}`);
    }
  }

  private parseIdentifier(cur: ListNode): void {
    while (!isTerminator(this.next()));
    this.backup();
    const value = this.consumeText();
    if (value === 'true' || value === 'false') cur.nodes.push({ t: 'bool', value: value === 'true' });
    else cur.nodes.push({ t: 'identifier', name: value });
  }

  private parseRecursive(cur: ListNode): void {
    if (cur.nodes[cur.nodes.length - 1]?.t === 'recursive') throw new JSONPathError('invalid multiple recursive descent');
    this.pos += 2;
    this.consumeText();
    cur.nodes.push({ t: 'recursive' });
    if (isAlphaNumeric(this.peek())) this.parseField(cur);
  }

  private parseNumber(cur: ListNode): void {
    const r = this.peek();
    if (r === 0x2b || r === 0x2d) this.next();
    for (;;) {
      const d = this.next();
      if (d !== 0x2e && !isDigit(d)) {
        this.backup();
        break;
      }
    }
    const value = this.consumeText();
    const i = atoi(value);
    if (i !== undefined) cur.nodes.push({ t: 'int', value: i });
    else if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(value)) cur.nodes.push({ t: 'float', value: Number(value) });
    else throw new JSONPathError(`cannot parse number ${value}`);
  }

  private parseArray(cur: ListNode): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r === 0x0a) throw new JSONPathError('unterminated array');
      if (r === 0x5d) break;
    }
    let text = this.consumeText().slice(1, -1);
    if (text === '*') text = ':';

    const parts = text.split(',');
    if (parts.length > 1) {
      const lists = parts.map((s) => parseAction(`[${s.replace(/^ +| +$/g, '')}]`));
      cur.nodes.push({ t: 'union', lists });
      return;
    }

    const key = DICT_KEY.exec(text);
    if (key) {
      // `['a.b']` is `.a.b`: the key is parsed as fields, dots and all
      cur.nodes.push(...parseAction(`.${key[1]}`).nodes);
      return;
    }

    const m = SLICE.exec(text);
    if (!m) throw new JSONPathError(`invalid array index ${text}`);
    const params: [Param, Param, Param] = [
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
      { value: 0, known: false, derived: false },
    ];
    for (let i = 0; i < 3; i++) {
      let v = m[i + 1] ?? '';
      if (v !== '') {
        if (i > 0) v = v.slice(1);
        if (i > 0 && v === '') continue;
        const n = atoi(v);
        if (n === undefined) throw new JSONPathError(`array index ${v} is not a number`);
        params[i] = { value: n, known: true, derived: false };
      } else if (i === 1) {
        params[1] = { value: params[0].value + 1, known: true, derived: true };
      }
    }
    cur.nodes.push({ t: 'array', params });
  }

  private parseFilter(cur: ListNode): void {
    this.pos += 3;
    this.consumeText();
    let begin = false;
    let end = false;
    let pair = 0;
    for (;;) {
      const r = this.next();
      if (r === EOF || r === 0x0a) throw new JSONPathError('unterminated filter');
      if (r === 0x22 || r === 0x27) {
        if (!begin) {
          begin = true;
          pair = r;
          continue;
        }
        if (this.input[this.pos - 2] !== '\\' && r === pair) end = true;
      } else if (r === 0x29 /* ) */ && begin === end) {
        // quotes on the right-hand side come once, paired, so a ')' outside them closes the filter
        break;
      }
    }
    if (this.next() !== 0x5d) throw new JSONPathError('unclosed array expect ]');
    const text = this.consumeText().slice(0, -2);
    const m = FILTER.exec(text);
    if (!m) cur.nodes.push({ t: 'filter', left: parseAction(text), right: newList(), op: 'exists' });
    else cur.nodes.push({ t: 'filter', left: parseAction(m[1]!), right: parseAction(m[3]!), op: m[2]! });
  }

  private parseQuote(cur: ListNode, end: number): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || r === 0x0a) throw new JSONPathError('unterminated quoted string');
      if (r === end && this.input[this.pos - 2] !== '\\') break;
    }
    const value = this.consumeText();
    const s = unquoteExtend(value);
    if (s === undefined) throw new JSONPathError(`unquote string ${value} error invalid syntax`);
    cur.nodes.push({ t: 'text', text: s });
  }

  private parseField(cur: ListNode): void {
    this.consumeText();
    for (;;) {
      const r = this.next();
      if (r === 0x5c /* \ */) this.next();
      else if (isTerminator(r)) {
        this.backup();
        break;
      }
    }
    const value = this.consumeText();
    if (value === '*') cur.nodes.push({ t: 'wildcard' });
    else cur.nodes.push({ t: 'field', name: value.replaceAll('\\', '') });
  }
}

/** The list of one action's text (upstream's parseAction: the text parsed inside `{}`). */
function parseAction(text: string): ListNode {
  const p = new Parser();
  p.parse(`{${text}}`);
  return p.root.nodes[0] as ListNode;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** UnquoteExtend: strconv.Unquote for single- or double-quoted text; undefined where Go reports invalid syntax. */
function unquoteExtend(q: string): string | undefined {
  if (q.length < 2) return undefined;
  const quote = q[0]!;
  if (quote !== q[q.length - 1] || (quote !== '"' && quote !== "'")) return undefined;
  const s = q.slice(1, -1);
  if (!s.includes('\\') && !s.includes(quote)) return s;
  let out = '';
  for (let i = 0; i < s.length;) {
    const c = s[i]!;
    if (c === quote) return undefined;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = s[i + 1];
    if (e === undefined) return undefined;
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (e === quote) {
      out += e;
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = s.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) return undefined;
      const v = parseInt(hex, 16);
      if (e === 'x') out += Buffer.from([v]).toString('latin1');
      else if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
      else out += String.fromCodePoint(v);
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const oct = s.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return undefined;
      out += String.fromCharCode(parseInt(oct, 8));
      i += 4;
    } else return undefined;
  }
  return out;
}

// ---- evaluation (jsonpath.go) ----

/** A number whose Go type is not what JSON decoding gives: a float literal (`1.0`) or a byte of a string. */
class GoNumber {
  constructor(
    readonly kind: 'float' | 'uint' | 'int',
    readonly value: number,
  ) {}
}

/** Go's reflect.Value of nothing (upstream evaluates a range without items on nil). */
const INVALID = undefined;

type Kind = 'bool' | 'int' | 'uint' | 'float' | 'string' | 'invalid';

function kindOf(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof GoNumber) return v.kind;
  return 'invalid';
}

const numberOf = (v: unknown): number => (v instanceof GoNumber ? v.value : (v as number));

/** The Go type a value has once decoded (what "is not array or slice" names). */
function goTypeName(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof GoNumber) return v.kind === 'float' ? 'float64' : v.kind === 'uint' ? 'uint8' : 'int';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'object' && v !== null) return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return 'interface {}';
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoNumber);

/** The elements a wildcard or recursive descent visits: map values, array items, a string's bytes. */
function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isMap(v)) return Object.values(v);
  if (typeof v === 'string') return [...Buffer.from(v, 'utf8')].map((b) => new GoNumber('uint', b));
  return [];
}

const BAD_TYPE = 'invalid type for comparison';
const BAD_COMPARISON = 'incompatible types for comparison';

/** template.Equal and template.Less over the basic kinds. */
function compare(a: unknown, b: unknown, less: boolean): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'invalid' || kb === 'invalid') throw new JSONPathError(BAD_TYPE);
  if (ka !== kb) {
    // integers compare regardless of their sign
    const ints = (ka === 'int' && kb === 'uint') || (ka === 'uint' && kb === 'int');
    if (!ints) throw new JSONPathError(BAD_COMPARISON);
    return less ? numberOf(a) < numberOf(b) : numberOf(a) === numberOf(b);
  }
  if (less) {
    if (ka === 'bool') throw new JSONPathError(BAD_TYPE);
    if (ka === 'string') return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string)) < 0;
    return numberOf(a) < numberOf(b);
  }
  return ka === 'string' || ka === 'bool' ? a === b : numberOf(a) === numberOf(b);
}

function filterPasses(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return compare(a, b, false);
    case '!=':
      return !compare(a, b, false);
    case '<':
      return compare(a, b, true);
    case '<=':
      return compare(a, b, true) || compare(a, b, false);
    case '>':
      return !(compare(a, b, true) || compare(a, b, false));
    case '>=':
      return !compare(a, b, true);
    default:
      throw new JSONPathError(`unrecognized filter operator ${op}`);
  }
}

interface RangeState {
  inRange: number;
  /** Set by `range`: the action's results are iterated over the nodes that follow. */
  begin: boolean;
  /** Set by `end` inside a range: the current block stops. */
  end: boolean;
}

class Evaluator {
  constructor(private readonly allowMissingKeys: boolean) {}
  readonly state: RangeState = { inRange: 0, begin: false, end: false };

  walk(input: unknown[], node: Node): unknown[] {
    switch (node.t) {
      case 'list':
        return node.nodes.reduce((cur, n) => this.walk(cur, n), input);
      case 'text':
        return [node.text];
      case 'field':
        return this.field(input, node.name);
      case 'array':
        return this.array(input, node.params);
      case 'filter':
        return this.filter(input, node);
      case 'int':
        return input.map(() => node.value);
      case 'float':
        return input.map(() => new GoNumber('float', node.value));
      case 'bool':
        return input.map(() => node.value);
      case 'wildcard':
        return input.flatMap((v) => (v === null ? [] : children(v)));
      case 'recursive':
        return this.recursive(input);
      case 'union':
        return this.union(input, node.lists);
      case 'identifier':
        return this.identifier(input, node.name);
    }
  }

  private union(input: unknown[], lists: ListNode[]): unknown[] {
    try {
      return lists.flatMap((l) => this.walk(input, l));
    } catch (e) {
      throw e instanceof JSONPathError ? new JSONPathError(e.message, input) : e;
    }
  }

  private identifier(input: unknown[], name: string): unknown[] {
    if (name === 'range') {
      this.state.begin = true;
      return input;
    }
    if (name === 'end') {
      if (this.state.inRange === 0) throw new JSONPathError('not in range, nothing to end');
      this.state.end = true;
      return [];
    }
    throw new JSONPathError(`unrecognized identifier ${name}`, input);
  }

  private field(input: unknown[], name: string): unknown[] {
    if (input.length === 0) return [];
    const out: unknown[] = [];
    for (const v of input) if (isMap(v) && Object.hasOwn(v, name)) out.push(v[name]);
    if (out.length === 0 && !this.allowMissingKeys) throw new JSONPathError(`${name} is not found`);
    return out;
  }

  private array(input: unknown[], node: [Param, Param, Param]): unknown[] {
    const out: unknown[] = [];
    for (const v of input) {
      if (v === null) continue;
      if (!Array.isArray(v)) throw new JSONPathError(`${goTypeName(v)} is not array or slice`, input);
      const len = v.length;
      let start = node[0].known ? node[0].value : 0;
      if (start < 0) start += len;
      let end = node[1].known ? node[1].value : len;
      if (end < 0 || (end === 0 && node[1].derived)) end += len;
      // upstream stops at the first empty selection, dropping the inputs after it
      if (end === start) return out;
      if (start >= len || start < 0) throw new JSONPathError(`array index out of bounds: index ${start}, length ${len}`, input);
      if (end > len || end < 0) throw new JSONPathError(`array index out of bounds: index ${end - 1}, length ${len}`, input);
      if (start > end) throw new JSONPathError(`starting index ${start} is greater than ending index ${end}`, input);
      let step = 1;
      if (node[2].known) {
        if (node[2].value <= 0) throw new JSONPathError('step must be > 0', input);
        step = node[2].value;
      }
      for (let i = start; i < end; i += step) out.push(v[i]);
    }
    return out;
  }

  private recursive(input: unknown[]): unknown[] {
    const out: unknown[] = [];
    for (const v of input) {
      if (v === null) continue;
      const kids = children(v);
      // only what has elements is a result: scalars come out through the steps that follow
      if (kids.length === 0) continue;
      out.push(v, ...this.recursive(kids));
    }
    return out;
  }

  private filter(input: unknown[], node: { left: ListNode; right: ListNode; op: string }): unknown[] {
    const out: unknown[] = [];
    // errors carry the input, but those of comparing the results so far
    const fail = (e: unknown, values: unknown[]) => (e instanceof JSONPathError ? new JSONPathError(e.message, values) : e);
    for (const v of input) {
      if (!Array.isArray(v)) throw new JSONPathError(`${goPrint(v)} is not array or slice and cannot be filtered`, input);
      for (const item of v) {
        let lefts: unknown[];
        try {
          lefts = this.walk([item], node.left);
        } catch (e) {
          if (node.op !== 'exists') throw fail(e, input);
          lefts = e instanceof JSONPathError ? e.values : [];
        }
        if (node.op === 'exists') {
          if (lefts.length > 0) out.push(item);
          continue;
        }
        if (lefts.length === 0) continue;
        if (lefts.length > 1) throw new JSONPathError('can only compare one element at a time', input);
        let rights: unknown[];
        try {
          rights = this.walk([item], node.right);
        } catch (e) {
          throw fail(e, input);
        }
        if (rights.length === 0) continue;
        if (rights.length > 1) throw new JSONPathError('can only compare one element at a time', input);
        try {
          if (filterPasses(node.op, lefts[0], rights[0])) out.push(item);
        } catch (e) {
          throw fail(e, out);
        }
      }
    }
    return out;
  }

  /**
   * FindResults over a sequence of root nodes: one list of values per action or text. A `range`
   * action repeats the nodes up to its `end` for each of its values. Returns where the block's
   * `end` was met (relative to `nodes`), or -1.
   */
  run(nodes: Node[], data: unknown, into: unknown[][]): number {
    const cur = [data];
    for (let i = 0; i < nodes.length; i++) {
      this.state.begin = false;
      this.state.end = false;
      const results = this.walk(cur, nodes[i]!);
      if (this.state.end) return i;
      if (this.state.begin) {
        this.state.inRange++;
        const body = nodes.slice(i + 1);
        let endAt = -1;
        // without values the body still runs once, on nothing, to find its end
        for (const v of results.length ? results : [INVALID]) endAt = this.run(body, v, results.length ? into : []);
        this.state.inRange--;
        if (endAt >= 0) i += 1 + endAt;
        continue;
      }
      into.push(results);
    }
    return -1;
  }
}

// ---- printing (PrintResults) ----

const HTML_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** encoding/json's Marshal of a decoded JSON value: map keys sorted by bytes, HTML-safe, U+FFFD for lone surrogates. */
export function goJSONMarshal(v: unknown): string {
  const sorted = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (x instanceof GoNumber) return x.value;
    if (isMap(x)) {
      const keys = Object.keys(x).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      return Object.fromEntries(keys.map((k) => [k, sorted(x[k])]));
    }
    return x;
  };
  return JSON.stringify(sorted(v) ?? null)
    .replace(/[<>&\u2028\u2029]/g, (c) => HTML_ESCAPES[c]!)
    .replace(/\\ud[89a-f][0-9a-f]{2}/g, '\\ufffd');
}

/** One value as PrintResults writes it: maps and lists as JSON, the rest as fmt.Print does. */
function printValue(v: unknown): string {
  if (v === INVALID) return '<no value>';
  if (v === null) return 'null';
  if (Array.isArray(v) || isMap(v)) return goJSONMarshal(v);
  if (v instanceof GoNumber) return v.kind === 'float' ? goFloat(v.value) : String(v.value);
  return goPrint(v);
}

// ---- the API ----

export interface JSONPath {
  /** FindResults: the values of each action (and each text) of the template, in order; throws JSONPathError. */
  findResults(data: unknown): unknown[][];
  /** Execute: the template's text, as `kubectl -o jsonpath` prints it; throws JSONPathError. */
  execute(data: unknown): string;
}

export interface JSONPathOptions {
  /** AllowMissingKeys: a missing field yields nothing instead of `<name> is not found`. */
  allowMissingKeys?: boolean;
}

/** Parses a template (`{.spec.replicas}`, `name: {.metadata.name}`); `{ error }` carries upstream's parse error. */
export function compileJSONPath(template: string, options: JSONPathOptions = {}): JSONPath | { error: string } {
  const p = new Parser();
  try {
    p.parse(template);
  } catch (e) {
    if (e instanceof JSONPathError) return { error: e.message };
    throw e;
  }
  const nodes = p.root.nodes;
  const allow = options.allowMissingKeys ?? false;
  const findResults = (data: unknown): unknown[][] => {
    const out: unknown[][] = [];
    new Evaluator(allow).run(nodes, data, out);
    return out;
  };
  return {
    findResults,
    execute: (data) =>
      findResults(data)
        .map((values) => values.map(printValue).join(' '))
        .join(''),
  };
}

/**
 * A CRD printer column's path, as the table convertor builds it: `{<jsonPath>}`, missing keys
 * allowed. Upstream's convertor stops adding columns at the first one that does not parse (the
 * table keeps the columns before it) and logs `unrecognized column definition "<jsonPath>"`, the
 * error given here.
 */
export function compileColumnPath(jsonPath: string): JSONPath | { error: string } {
  const compiled = compileJSONPath(`{${jsonPath}}`, { allowMissingKeys: true });
  return 'error' in compiled ? { error: `unrecognized column definition ${goQuote(jsonPath)}` } : compiled;
}

/** A Table cell: what upstream's row holds for a column (JSON null for none). */
export type TableCell = string | number | boolean | null;

/** metav1.Time's UnmarshalQueryParameter then ConvertToHumanReadableDateType: `<unknown>` for no time, `<invalid>` for a bad one. */
function dateCell(value: string, age: (timeMs: number) => string): string {
  if (value === '' || value === 'null') return '<unknown>';
  const t = parseRFC3339(value);
  if (t === undefined) return '<invalid>';
  return t === ZERO_TIME ? '<unknown>' : age(t);
}

/** Go's zero time.Time, 0001-01-01T00:00:00Z, which upstream prints as unknown. */
const ZERO_TIME = -62135596800000;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** time.Parse(time.RFC3339, s) in milliseconds since the epoch; undefined where Go fails. */
export function parseRFC3339(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1]! || (mo === 2 && d === 29 && !leap)) return undefined;
  if (h > 23 || mi > 59 || sec > 59) return undefined;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 60 + om) * 60000;
  }
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  // setUTCFullYear, not Date.UTC: the latter reads years below 100 as 19xx
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, sec, 0);
  return t.getTime() + frac - offset;
}

/**
 * The cell of a CRD printer column for an object (the table convertor's ConvertToTable): nothing
 * found, or an evaluation error, is a null cell; only the first value found counts. A `string`
 * column prints that value as PrintResults does (maps and lists as JSON, a JSON null as
 * `<no value>`); `integer` truncates numbers, `number` takes them, `boolean` takes booleans;
 * `date` turns an RFC 3339 string into the age `age` gives for it (upstream's HumanDuration of the
 * time since then); a value of another type, or an unknown column type, is null.
 */
export function printerCell(path: JSONPath, obj: unknown, columnType: string, age: (timeMs: number) => string): TableCell {
  let results: unknown[][];
  try {
    results = path.findResults(obj);
  } catch (e) {
    if (e instanceof JSONPathError) return null;
    throw e;
  }
  const first = results[0];
  if (!first || first.length === 0) return null;
  const value = first[0];
  if (columnType === 'string') return printValue(value === null ? INVALID : value);
  if (value === null || value === INVALID) return null;
  switch (columnType) {
    case 'integer':
      return typeof value === 'number' || value instanceof GoNumber ? Math.trunc(numberOf(value)) : null;
    case 'number':
      return typeof value === 'number' || value instanceof GoNumber ? numberOf(value) : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? dateCell(value, age) : null;
    default:
      return null;
  }
}
