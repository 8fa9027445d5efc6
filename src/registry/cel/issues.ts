// Compile errors in cel-go's text (what `kubectl apply` of a CRD with a bad rule prints):
//   ERROR: <input>:1:6: undeclared reference to 'foo' (in container '')
//    | self.foo
//    | .....^
// The engine reports its own codes and source ranges; this names the failing function the way cel-go
// does (`_==_`, `@in`, `size`), renders types as cel-go does (`list(int)`), and points at the token
// cel-go points at (a select's '.', a call's '(', a binary operator).
import type { ASTNode } from '@marcbachmann/cel-js';
import { RE2_MATCHES } from './library/regex.js';

/** The engine's error fields this module reads. */
export interface EngineError {
  name: string;
  code?: string;
  summary?: string;
  message: string;
  range?: { start: number; end: number };
  node?: unknown;
}

type Node = ASTNode & { checkedType?: unknown };

const CEL_OPERATORS: Record<string, string> = {
  '==': '_==_',
  '!=': '_!=_',
  '<': '_<_',
  '<=': '_<=_',
  '>': '_>_',
  '>=': '_>=_',
  '+': '_+_',
  '-': '_-_',
  '*': '_*_',
  '/': '_/_',
  '%': '_%_',
  in: '@in',
  '&&': '_&&_',
  '||': '_||_',
  '!_': '!_',
  '-_': '-_',
  '?:': '_?_:_',
  '[]': '_[_]',
};

const TOKEN_NAMES: Record<string, string> = {
  RPAREN: ')',
  RBRACKET: ']',
  RBRACE: '}',
  COLON: ':',
  COMMA: ',',
  LPAREN: '(',
  IDENTIFIER: 'IDENTIFIER',
};

/** What cel-go's parser expects where an operand is missing. */
const OPERAND_EXPECTED = "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}";

/** A type as cel-go prints it: list(int), map(string, int); a dynamic type is dyn. */
export function celTypeName(t: unknown): string {
  return String(t)
    .replace(/dyn<[^<>]*(<[^<>]*>)?[^<>]*>/g, 'dyn')
    .replace(/</g, '(')
    .replace(/>/g, ')');
}

const typeOf = (n: unknown) => celTypeName((n as Node | undefined)?.checkedType ?? 'dyn');
const isNode = (n: unknown): n is Node => !!n && typeof n === 'object' && 'op' in n && 'range' in n;

/** Where cel-go places a node: the operator token of calls, selects, indexes and binary operators. */
function locate(n: Node, src: string): number {
  const a = n.args as unknown[];
  const after = (i: number) => (isNode(a[i]) ? a[i].range.end : n.range.start);
  let at = -1;
  switch (n.op) {
    case '.':
    case '.?':
      at = src.indexOf('.', after(0));
      break;
    case '[]':
    case '[?]':
      at = src.indexOf('[', after(0));
      break;
    case 'rcall':
      at = src.indexOf('(', isNode(a[1]) ? a[1].range.end : n.range.start);
      break;
    case 'call':
      at = src.indexOf('(', n.range.start);
      break;
    case '?:':
      at = src.indexOf('?', after(0));
      break;
    case '!_':
    case '-_':
    case 'id':
    case 'value':
    case 'list':
    case 'map':
      break;
    default:
      at = src.indexOf(n.op, after(0));
  }
  return at >= 0 ? at : n.range.start;
}

/** The token at `at` (an identifier, a number or one character), or <EOF>. */
function tokenAt(src: string, at: number): string {
  if (at >= src.length) return '<EOF>';
  return /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|\S)/.exec(src.slice(at))?.[0] ?? src[at]!;
}

function syntaxMessage(e: EngineError, src: string, at: number, parses: (prefix: string) => boolean): string {
  const tok = tokenAt(src, at);
  switch (e.code) {
    case 'unexpected_character':
    case 'unexpected_token':
      if (tok !== '<EOF>' && src.slice(0, at).trim() && parses(src.slice(0, at)))
        return `Syntax error: mismatched input '${tok}' expecting <EOF>`;
      if (tok === '<EOF>') return `Syntax error: mismatched input '<EOF>' expecting ${OPERAND_EXPECTED}`;
      if (e.code === 'unexpected_character') return `Syntax error: token recognition error at: '${src[at]}'`;
      return `Syntax error: extraneous input '${tok}' expecting ${OPERAND_EXPECTED}`;
    case 'expected_token': {
      const m = /Expected (\w+)/.exec(e.summary ?? e.message);
      const want = (m && TOKEN_NAMES[m[1]!]) ?? m?.[1] ?? '';
      return tok === '<EOF>' ? `Syntax error: missing '${want}' at '<EOF>'` : `Syntax error: mismatched input '${tok}' expecting '${want}'`;
    }
    case 'unterminated_string':
    case 'newline_in_string':
    case 'unterminated_triple_quoted_string':
      return `Syntax error: token recognition error at: '${src.slice(at)}'`;
  }
  return `Syntax error: ${e.summary ?? e.message.split('\n')[0]}`;
}

function checkMessage(e: EngineError, n: Node | undefined, functions: ReadonlySet<string>): string {
  const summary = e.summary ?? e.message.split('\n')[0]!;
  const a = (n?.args ?? []) as unknown[];
  switch (e.code) {
    case 'unknown_variable':
      return `undeclared reference to '${n?.op === 'id' ? String(n.args) : /: (.*)$/.exec(summary)?.[1]}' (in container '')`;
    case 'no_such_key':
      if (n?.op === '.' || n?.op === '.?') return `undefined field '${String(a[1])}'`;
      break;
    case 'cannot_index_type':
      if (n?.op === '.' || n?.op === '.?') return `type '${typeOf(a[0])}' does not support field selection`;
      break;
    case 'no_such_overload':
    case 'invalid_logical_operand':
      if (n && CEL_OPERATORS[n.op]) {
        const operands = n.op === '!_' || n.op === '-_' ? [n.args] : a;
        return `found no matching overload for '${CEL_OPERATORS[n.op]}' applied to '(${operands.map(typeOf).join(', ')})'`;
      }
      break;
    case 'no_matching_overload':
      if (n?.op === 'call' || n?.op === 'rcall') {
        const name = String(a[0]) === RE2_MATCHES ? 'matches' : String(a[0]);
        if (!functions.has(name)) return `undeclared reference to '${name}' (in container '')`;
        const args = (n.op === 'call' ? a[1] : a[2]) as unknown[];
        const recv = n.op === 'rcall' ? `${typeOf(a[1])}.` : '';
        return `found no matching overload for '${name}' applied to '${recv}(${args.map(typeOf).join(', ')})'`;
      }
      break;
    case 'heterogeneous_list_element':
    case 'heterogeneous_map_key':
    case 'heterogeneous_map_value':
      return /expected type .*$/.exec(summary)?.[0] ?? summary;
  }
  return summary;
}

/**
 * cel-go's rendering of one issue in `src`. `functions` are the declared function names; `parses`
 * tells whether a prefix of the source is a complete expression (for cel-go's `expecting <EOF>`).
 */
export function formatIssue(e: EngineError, src: string, functions: ReadonlySet<string>, parses: (prefix: string) => boolean): string {
  const n = isNode(e.node) ? e.node : undefined;
  const syntax = e.name === 'ParseError';
  let at = syntax || !n ? (e.range?.start ?? 0) : locate(n, src);
  if (syntax && e.code === 'unexpected_character') at = firstTokenStart(src, at);
  const msg = syntax ? syntaxMessage(e, src, at, parses) : checkMessage(e, n, functions);
  const before = src.slice(0, at);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const col = Array.from(src.slice(lineStart, at)).length;
  const lineEnd = src.indexOf('\n', lineStart);
  const text = src.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).replace(/\t/g, ' ');
  return `ERROR: <input>:${line}:${col + 1}: ${msg}\n | ${text}\n | ${'.'.repeat(col)}^`;
}

/** The engine reports an unexpected character inside a word at that character; cel-go at the word. */
function firstTokenStart(src: string, at: number): number {
  let i = at;
  while (i > 0 && /[A-Za-z0-9_]/.test(src[i - 1]!) && /[A-Za-z0-9_]/.test(src[i] ?? '')) i--;
  return i;
}
