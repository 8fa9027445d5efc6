// Label and field selectors with upstream's grammar and error texts
// (staging/src/k8s.io/apimachinery/pkg/labels/selector.go, pkg/fields/selector.go). Clients
// match on these messages (`unable to parse requirement: ...`), so the parser mirrors upstream's
// lexer/parser structure closely enough to fail on the same token with the same words.
import { isQualifiedName, isValidLabelValue } from './validation.js';

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** A parse failure; `message` is upstream's error text. */
export class SelectorError extends Error {}

// ---- label selector lexer ----

type Tok = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';

const STRING_TOKENS: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';

interface Item {
  tok: Tok;
  lit: string;
}

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    if (pos >= s.length) {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    if (isSpecial(s[pos]!)) {
      // Longest operator made of special symbols ("!=", "==", ...), as upstream's scanSpecialSymbol.
      let buf = '';
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos]!)) {
        buf += s[pos];
        const t = STRING_TOKENS[buf];
        if (t) {
          last = { tok: t, lit: buf };
          pos++;
        } else if (last) {
          break;
        } else {
          pos++;
        }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    let buf = '';
    while (pos < s.length && !isSpecial(s[pos]!) && !isWhitespace(s[pos]!)) buf += s[pos++];
    const t = STRING_TOKENS[buf];
    items.push({ tok: t ?? 'id', lit: buf });
  }
}

// ---- label selector parser ----

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];

/** Parses a label selector string into requirements (sorted by key, as upstream does). */
export function parseLabelSelector(selector: string): Requirement[] {
  const items = lex(selector);
  let pos = 0;
  // In "values" context the keywords in/notin are plain identifiers.
  const look = (values: boolean): Item => {
    const it = items[pos]!;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  };
  const take = (values: boolean): Item => {
    const it = look(values);
    pos++;
    return it;
  };

  const fail = (msg: string): never => {
    throw new SelectorError(msg);
  };

  const parseRequirement = (): Requirement => {
    let op: LabelOperator | undefined;
    let it = take(true);
    if (it.tok === '!') {
      op = '!';
      it = take(true);
    }
    if (it.tok !== 'id') fail(`found '${it.lit}', expected: identifier`);
    const key = it.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) fail(`<nil>: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
    const next = look(true).tok;
    if (next === 'eos' || next === ',') {
      if (op !== '!') op = 'exists';
    }
    if (op === 'exists' || op === '!') return { key, operator: op, values: [] };

    const opTok = take(false);
    let operator: LabelOperator;
    switch (opTok.tok) {
      case 'in':
        operator = 'in';
        break;
      case '=':
        operator = '=';
        break;
      case '==':
        operator = '==';
        break;
      case '>':
        operator = 'gt';
        break;
      case '<':
        operator = 'lt';
        break;
      case 'notin':
        operator = 'notin';
        break;
      case '!=':
        operator = '!=';
        break;
      default:
        return fail(`found '${opTok.lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
    let values: string[];
    if (operator === 'in' || operator === 'notin') values = parseValues();
    else values = parseExactValue();
    const errs = newRequirementErrors(key, operator, values);
    if (errs.length) fail(errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`);
    return { key, operator, values };
  };

  const parseValues = (): string[] => {
    const open = take(true);
    if (open.tok !== '(') fail(`found '${open.lit}' expected: '('`);
    const first = look(true);
    if (first.tok === 'id' || first.tok === ',') {
      const s = parseIdentifiersList();
      const close = take(true);
      if (close.tok !== ')') fail(`found '${first.lit}', expected: ')'`);
      return s;
    }
    if (first.tok === ')') {
      take(true);
      return [''];
    }
    return fail(`found '${first.lit}', expected: ',', ')' or identifier`);
  };

  const parseIdentifiersList = (): string[] => {
    const s = new Set<string>();
    for (;;) {
      const it = take(true);
      if (it.tok === 'id') {
        s.add(it.lit);
        const n = look(true);
        if (n.tok === ',') continue;
        if (n.tok === ')') return [...s].sort();
        fail(`found '${n.lit}', expected: ',' or ')'`);
      } else if (it.tok === ',') {
        if (s.size === 0) s.add('');
        const n = look(true).tok;
        if (n === ')') {
          s.add('');
          return [...s].sort();
        }
        if (n === ',') s.add('');
      } else {
        fail(`found '${it.lit}', expected: ',', or identifier`);
      }
    }
  };

  const parseExactValue = (): string[] => {
    const n = look(true).tok;
    if (n === 'eos' || n === ',') return [''];
    const it = take(true);
    if (it.tok === 'id') return [it.lit];
    return fail(`found '${it.lit}', expected: identifier`);
  };

  const reqs: Requirement[] = [];
  for (;;) {
    const it = look(true);
    if (it.tok === 'id' || it.tok === '!') {
      let r: Requirement;
      try {
        r = parseRequirement();
      } catch (e) {
        if (e instanceof SelectorError) throw new SelectorError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      reqs.push(r);
      const t = take(true);
      if (t.tok === 'eos') break;
      if (t.tok === ',') {
        const n = look(true);
        if (n.tok !== 'id' && n.tok !== '!') fail(`found '${n.lit}', expected: identifier after ','`);
        continue;
      }
      fail(`found '${t.lit}', expected: ',' or 'end of string'`);
    } else if (it.tok === 'eos') {
      break;
    } else {
      fail(`found '${it.lit}', expected: !, identifier, or 'end of string'`);
    }
  }
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** upstream NewRequirement's checks on values (the key was checked by the parser already). */
function newRequirementErrors(key: string, op: LabelOperator, values: string[]): string[] {
  const errs: string[] = [];
  if ((op === 'in' || op === 'notin') && values.length === 0) {
    errs.push(`values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty`);
  }
  if ((op === 'gt' || op === 'lt') && values.some((v) => !/^[+-]?\d+$/.test(v))) {
    values.forEach((v, i) => {
      if (!/^[+-]?\d+$/.test(v))
        errs.push(`values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
    });
  }
  values.forEach((v, i) => {
    for (const msg of isValidLabelValue(v)) errs.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${msg}`);
  });
  return errs;
}

export function matchRequirement(r: Requirement, labels: Record<string, string> | undefined): boolean {
  const has = !!labels && Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels![r.key]! : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(v!);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(v!);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(v!)) return false;
      const a = BigInt(v!);
      const b = BigInt(r.values[0]!);
      return r.operator === 'gt' ? a > b : a < b;
    }
  }
}

export function matchRequirements(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  return reqs.every((r) => matchRequirement(r, labels));
}

// ---- metav1.LabelSelector (matchLabels + matchExpressions) ----

export interface LabelSelectorRequirement {
  key: string;
  operator: string; // In | NotIn | Exists | DoesNotExist
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * Does a metav1.LabelSelector match these labels? upstream LabelSelectorAsSelector: a nil
 * selector matches nothing, an empty one matches everything. Invalid expressions match nothing.
 */
export function matchLabelSelector(sel: LabelSelector | null | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (!labels || labels[k] !== v || !Object.prototype.hasOwnProperty.call(labels, k)) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = !!labels && Object.prototype.hasOwnProperty.call(labels, e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !vals.includes(labels![e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(labels![e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A map selector (Service.spec.selector, ReplicationController): every pair must match. */
export function matchSelectorMap(sel: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(sel)) {
    if (!labels || !Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== v) return false;
  }
  return true;
}

/** upstream labels.Set.String() (also labels.SelectorFromSet(set).String()): `a=b,c=d` sorted by key, '' when empty. */
export function labelSetString(labels: Record<string, string> | null | undefined): string {
  return Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${labels![k]}`)
    .join(',');
}

/** upstream labels.FormatLabels: `a=b,c=d` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | null | undefined): string {
  return labelSetString(labels) || '<none>';
}

const SELECTOR_OPERATORS: Record<string, string> = { In: ' in ', NotIn: ' notin ' };

/**
 * metav1.LabelSelectorAsSelector(sel).String() (the Scale subresource's status.selector, printers'
 * SELECTOR of a Deployment): requirements sorted by key, set values sorted; '' for an empty
 * selector (everything) and for none (nothing); undefined where LabelSelectorAsSelector fails (an
 * unknown operator, In/NotIn without values, Exists/DoesNotExist with values, a key that is no
 * qualified name or a value that is no label value, as labels.NewRequirement checks).
 */
export function labelSelectorString(sel: LabelSelector | null | undefined): string | undefined {
  if (!sel) return '';
  const reqs: [string, string][] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (isQualifiedName(k).length || isValidLabelValue(v).length) return undefined;
    reqs.push([k, `${k}=${v}`]);
  }
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])];
    if (isQualifiedName(e.key ?? '').length || vals.some((v) => isValidLabelValue(v).length)) return undefined;
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (!vals.length) return undefined;
        reqs.push([e.key, `${e.key}${SELECTOR_OPERATORS[e.operator]}(${vals.sort().join(',')})`]);
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (vals.length) return undefined;
        reqs.push([e.key, e.operator === 'Exists' ? e.key : `!${e.key}`]);
        break;
      default:
        return undefined;
    }
  }
  return reqs
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((r) => r[1])
    .join(',');
}

/** metav1.FormatLabelSelector (the printers' SELECTOR): `<none>` for an empty or no selector, `<error>` for one that does not convert. */
export function formatLabelSelector(sel: LabelSelector | null | undefined): string {
  const s = labelSelectorString(sel);
  if (s === undefined) return '<error>';
  return s || '<none>';
}

// ---- field selectors ----

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** Splits on unescaped commas (a `\,` stays inside the term, backslash kept). */
function splitTerms(s: string): string[] {
  if (!s) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw new SelectorError(`invalid field selector: unescaped character ${c}`);
    else out += c;
  }
  if (inSlash) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Parses `a=b,c!=d` (also `==`); terms sorted as upstream does. */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  const parts = splitTerms(selector).sort();
  const out: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    let found: { lhs: string; op: string; rhs: string } | undefined;
    for (let i = 0; i < part.length && !found; i++) {
      for (const op of ['!=', '==', '=']) {
        if (part.startsWith(op, i)) {
          found = { lhs: part.slice(0, i), op, rhs: part.slice(i + op.length) };
          break;
        }
      }
    }
    if (!found) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    out.push({ field: found.lhs, operator: found.op === '!=' ? '!=' : '=', value: unescapeValue(found.rhs) });
  }
  return out;
}

export function matchFieldRequirements(reqs: FieldRequirement[], get: (field: string) => string): boolean {
  return reqs.every((r) => (r.operator === '=' ? get(r.field) === r.value : get(r.field) !== r.value));
}
