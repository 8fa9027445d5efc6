// Request bodies in YAML (application/yaml, application/apply-patch+yaml) decoded as upstream
// bounds them: kube-apiserver converts YAML with sigs.k8s.io/yaml, a fork of go-yaml v2, whose
// scanner refuses more than 10000 nested flow collections or block indentation levels
// (scannerc.go max_flow_level/max_indents: `yaml: line N: exceeded max depth of 10000`) and whose
// decoder refuses alias expansion beyond a ratio of the document (decode.go allowedAliasRatio:
// `yaml: document contains excessive aliasing`); and everything decoded is nested at most
// MAX_NESTING deep (see there). The errors carry go-yaml's text; callers add upstream's prefixes.
//
// The parser is js-yaml (CORE_SCHEMA, `json: true`: duplicate keys take the last value, as
// YAMLToJSON does; no timestamps or merge keys, as before), not the `yaml` package the server
// used before. Measured on this 2-core machine (under the load of parallel test runs), parsing
// and converting to plain objects: a 2 MB flow list of scalars took the `yaml` package 21-44 s
// (js-yaml 2.9 s), nested flow sequences 28-29 s (4.1 s), flow maps 22-33 s (1.4 s), a block list
// 20-25 s (1.1 s), 200k map keys 9-28 s (1.6 s); 64 KB of `*a` aliases took `yaml` 34 s
// (quadratic) against 0.1 s. js-yaml builds plain objects directly and resolves an alias to the
// anchored value (no copy), so alias bombs cost nothing until the expansion is measured here
// without copying. Still not free: bodies over a few KiB are parsed off the main thread
// (yaml-worker.ts); valid JSON, which is YAML (kubectl sends JSON for server-side apply), goes
// through JSON.parse first. js-yaml loads with the first YAML body (loadYAMLParser: the API
// server's preHandler and the worker wait for it), not at start.
import type * as JsYaml from 'js-yaml';

let jsyaml: typeof JsYaml | undefined;
let loadingYAML: Promise<void> | undefined;

/** Loads the YAML parser; decodeYAML needs it loaded (JSON in YAML does not). */
export function loadYAMLParser(): Promise<void> {
  return (loadingYAML ??= import('js-yaml').then((m) => {
    jsyaml = m;
  }));
}

/** Whether decodeYAML can run now (JSON in YAML needs no parser). */
export const yamlParserLoaded = (): boolean => jsyaml !== undefined;

/** go-yaml v2's max_flow_level and max_indents. */
export const GO_YAML_MAX_DEPTH = 10000;

/**
 * How deep decoded values may nest (objects and arrays). Upstream's decoders allow 10000 levels
 * (go-yaml above; Go's encoding/json maxNestingDepth, `invalid character '[' exceeded max depth`).
 * Our walkers of objects (patches, field sets, deep equality, validation, structuredClone) are
 * recursive and overflow the stack at about 2,000 levels, which answered 500 `Maximum call
 * stack size exceeded`; a bound well below that, checked right after decoding with upstream's
 * JSON text, keeps them safe. No Kubernetes object nests anywhere near it.
 */
export const MAX_NESTING = 1000;

/**
 * Alias expansion beyond this many bytes of JSON is excessive aliasing whatever go-yaml's node
 * ratio says: go-yaml counts nodes, so an alias of a long string repeated costs it nothing while
 * the converted JSON grows without bound. Twice the request body limit: no YAML body converts to
 * more than that without aliases (quoting makes JSON at most ~2x the YAML).
 */
export const MAX_EXPANDED_BYTES = 2 * 3 * 1024 * 1024;

/** A decoding failure with go-yaml's text (`yaml: line 3: ...`). */
export class YAMLDecodeError extends Error {
  override name = 'YAMLDecodeError';
}

/** Too deep for MAX_NESTING (but not for go-yaml): reported with Go's JSON decoder text. */
export class NestingError extends Error {
  override name = 'NestingError';
  constructor(readonly bracket: '[' | '{') {
    super(`invalid character '${bracket}' exceeded max depth`);
  }
}

/** Parses one YAML document (JSON included) into plain values, within upstream's bounds. */
export function decodeYAML(text: string): unknown {
  const json = decodeJSONInYAML(text);
  if (json !== NOT_JSON) return json;
  const docs: unknown[] = [];
  // With aliases, the anchor of each container (go-yaml names the anchor of a value containing itself).
  const anchors = text.includes('*') ? new WeakMap<object, string>() : undefined;
  const listener = anchors
    ? (event: string, state: { anchor?: string | null; result?: unknown }) => {
        if (event === 'close' && state.anchor && state.result !== null && typeof state.result === 'object')
          anchors.set(state.result, state.anchor);
      }
    : undefined;
  if (!jsyaml) throw new Error('decodeYAML: the YAML parser is not loaded (await loadYAMLParser() first)');
  const yaml = jsyaml;
  try {
    // maxDepth counts scalars too: MAX_NESTING containers and their values, plus one level for
    // tooDeep to report precisely; it keeps js-yaml's recursion well within the stack.
    yaml.loadAll(text, (d) => void docs.push(d), {
      schema: yaml.CORE_SCHEMA,
      json: true,
      maxDepth: MAX_NESTING + 2,
      listener,
    } as JsYaml.LoadOptions);
  } catch (e) {
    const err = e as { reason?: string; mark?: { line: number; position?: number }; message: string };
    if (err.reason?.startsWith('nesting exceeded maxDepth')) throw goYamlDepthError(text) ?? new NestingError(bracketAt(text, err.mark));
    throw new YAMLDecodeError(err.mark ? `yaml: line ${err.mark.line + 1}: ${err.reason}` : `yaml: ${err.message}`);
  }
  if (docs.length !== 1) throw new YAMLDecodeError(docs.length ? 'yaml: expected a single YAML document' : 'yaml: empty document');
  const value = docs[0];
  if (!text.includes('*')) {
    const deep = tooDeep(value, MAX_NESTING);
    if (deep) throw new NestingError(deep);
    return value;
  }
  return expandAliases(value, anchors!);
}

export const NOT_JSON = Symbol('not JSON');

/**
 * A YAML body that is a JSON object or array, decoded with JSON.parse (native, linear, on any
 * thread) and checked as go-yaml would check its depth; NOT_JSON for anything else.
 */
export function decodeJSONInYAML(text: string): unknown {
  let i = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t' || text[i] === '\ufeff')) i++;
  if (text[i] !== '{' && text[i] !== '[') return NOT_JSON;
  const deep = jsonTooDeep(text, MAX_NESTING);
  if (deep) {
    // The scan reads JSON: a YAML flow collection quotes differently. go-yaml's limit first
    // (its scan reads both); then, within 10000 levels, JSON.parse is cheap and tells.
    const goErr = goYamlDepthError(text);
    if (goErr) throw goErr;
  }
  let value: unknown;
  try {
    value = JSON.parse(text[0] === '\ufeff' ? text.slice(1) : text);
  } catch {
    return NOT_JSON;
  }
  if (deep) throw new NestingError(deep);
  return value;
}

/**
 * The bracket that nests deeper than `limit` in JSON text, found by a linear scan before
 * parsing, as Go's decoder scans before it decodes: JSON.parse handles any depth, but a 2 MB
 * body of 1M nested brackets takes it ~0.25 s. Strings are skipped; the text is not validated.
 */
export function jsonTooDeep(text: string, limit: number): '[' | '{' | undefined {
  if (text.length <= 2 * limit) return undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // to the closing quote: one not preceded by an odd number of backslashes
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q < 0) return undefined;
        let b = q - 1;
        while (text.charCodeAt(b) === 0x5c) b--;
        i = q;
        if ((q - 1 - b) % 2 === 0) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return c === 0x5b ? '[' : '{';
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/**
 * The bracket of the first object or array, in document order, nested deeper than `limit`;
 * iterative, so any depth is fine.
 */
export function tooDeep(v: unknown, limit: number): '[' | '{' | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const stack: object[] = [v];
  const depths: number[] = [1];
  while (stack.length) {
    const x = stack.pop()!;
    const d = depths.pop()!;
    if (d > limit) return Array.isArray(x) ? '[' : '{';
    if (Array.isArray(x)) {
      for (let i = x.length - 1; i >= 0; i--) {
        const c: unknown = x[i];
        if (c !== null && typeof c === 'object') {
          stack.push(c);
          depths.push(d + 1);
        }
      }
    } else {
      const keys = Object.keys(x);
      for (let i = keys.length - 1; i >= 0; i--) {
        const c = (x as Record<string, unknown>)[keys[i]!];
        if (c !== null && typeof c === 'object') {
          stack.push(c);
          depths.push(d + 1);
        }
      }
    }
  }
  return undefined;
}

/** What an expansion costs: go-yaml's decode operations, JSON bytes, container height. */
interface Cost {
  nodes: number;
  bytes: number;
  height: number;
}

/**
 * js-yaml resolves `*a` to the very value anchored by `&a`: the result is a graph whose repeated
 * parts are shared. Upstream expands every alias into a copy; so do we, after measuring the
 * expansion without making it: go-yaml's decodeCount/aliasCount (every node decoded, and those
 * decoded through an alias) against allowedAliasRatio, the expanded size and the nesting. A value
 * containing itself is go-yaml's `anchor 'a' value contains itself`.
 */
function expandAliases(root: unknown, anchors: WeakMap<object, string>): unknown {
  if (root === null || typeof root !== 'object') return root;
  const costs = new Map<object, Cost>();
  const open = new Set<object>();
  let decodeCount = 1; // the document node
  let aliasCount = 0;
  let aliased = false;
  const scalarBytes = (v: unknown) => (typeof v === 'string' ? v.length + 2 : typeof v === 'number' ? 8 : 5);
  // Post-order walk; a container met again after it was measured is an alias.
  type Frame = { o: object; keys: string[] | undefined; i: number; cost: Cost };
  const frames: Frame[] = [];
  const enter = (o: object) => {
    open.add(o);
    frames.push({ o, keys: Array.isArray(o) ? undefined : Object.keys(o), i: 0, cost: { nodes: 1, bytes: 2, height: 1 } });
    decodeCount++;
  };
  const check = () => {
    if (aliasCount > 100 && decodeCount > 1000 && aliasCount / decodeCount > allowedAliasRatio(decodeCount))
      throw new YAMLDecodeError('yaml: document contains excessive aliasing');
  };
  enter(root);
  while (frames.length) {
    const f = frames[frames.length - 1]!;
    const len = f.keys ? f.keys.length : (f.o as unknown[]).length;
    if (f.i < len) {
      const key = f.keys?.[f.i];
      const child: unknown = key === undefined ? (f.o as unknown[])[f.i] : (f.o as Record<string, unknown>)[key];
      f.i++;
      if (key !== undefined) {
        // A mapping decodes its key and its value.
        f.cost.nodes++;
        f.cost.bytes += key.length + 3;
        decodeCount++;
      }
      if (child === null || typeof child !== 'object') {
        f.cost.nodes++;
        f.cost.bytes += scalarBytes(child) + 1;
        decodeCount++;
        continue;
      }
      const seen = costs.get(child);
      if (seen) {
        // An alias: go-yaml decodes the alias node, then everything under it as aliased.
        aliased = true;
        f.cost.nodes += 1 + seen.nodes;
        f.cost.bytes += seen.bytes + 1;
        f.cost.height = Math.max(f.cost.height, seen.height + 1);
        decodeCount += 1 + seen.nodes;
        aliasCount += seen.nodes;
        check();
        if (f.cost.bytes > MAX_EXPANDED_BYTES) throw new YAMLDecodeError('yaml: document contains excessive aliasing');
        continue;
      }
      if (open.has(child)) throw new YAMLDecodeError(`yaml: anchor '${anchors.get(child) ?? ''}' value contains itself`);
      enter(child);
      continue;
    }
    frames.pop();
    open.delete(f.o);
    costs.set(f.o, f.cost);
    const parent = frames[frames.length - 1];
    if (parent) {
      parent.cost.nodes += f.cost.nodes;
      parent.cost.bytes += f.cost.bytes + 1;
      parent.cost.height = Math.max(parent.cost.height, f.cost.height + 1);
    }
  }
  const total = costs.get(root)!;
  // Aliases of scalars are not seen above (they are plain values): the size tells.
  if (total.bytes > MAX_EXPANDED_BYTES) throw new YAMLDecodeError('yaml: document contains excessive aliasing');
  if (total.height > MAX_NESTING) throw new NestingError(firstTooDeep(root, costs));
  // Copies for the aliases: later stages change objects in place.
  return aliased ? JSON.parse(JSON.stringify(root)) : root;
}

/** go-yaml decode.go allowedAliasRatio. */
function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= 400_000) return 0.99;
  if (decodeCount >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decodeCount - 400_000) / 3_600_000);
}

/** The bracket of a container too deep, following the tallest child (heights are known). */
function firstTooDeep(root: object, costs: Map<object, Cost>): '[' | '{' {
  let cur: object = root;
  for (let d = 1; d <= MAX_NESTING; d++) {
    let next: object | undefined;
    for (const c of Array.isArray(cur) ? cur : Object.values(cur)) {
      if (c !== null && typeof c === 'object' && (costs.get(c)?.height ?? 0) >= MAX_NESTING + 1 - d) {
        next = c;
        break;
      }
    }
    if (!next) break;
    cur = next;
  }
  return Array.isArray(cur) ? '[' : '{';
}

/** The kind of collection js-yaml was in when it went too deep: the indicator before its mark. */
function bracketAt(text: string, mark: { position?: number } | undefined): '[' | '{' {
  for (let i = (mark?.position ?? 0) - 1; i >= 0; i--) {
    const c = text[i];
    if (c === '[' || c === '-') return '[';
    if (c === '{' || c === ':' || c === '?') return '{';
  }
  return '{';
}

// ---- go-yaml's scanner depth limits, for their exact message ----

/**
 * Where go-yaml v2's scanner gives up on depth, if it does: flow collections nested beyond
 * max_flow_level, or block indentation levels (block sequences `- - -`, mapping keys) pushed
 * beyond max_indents. A linear approximation of scannerc.go (quoted scalars, comments, block
 * scalars and flow context are skipped as it does), run only when a document is already too deep
 * for us, to tell which message upstream would give. Its line follows parser.fail's rules: a
 * scanner error on the first line names no line.
 */
export function goYamlDepthError(text: string): YAMLDecodeError | undefined {
  const n = text.length;
  let i = 0;
  let line = 0;
  let lineStart = 0;
  let flow = 0;
  let indent = -1;
  const indents: number[] = [];
  let atLineStart = true;
  const fail = (l0: number) =>
    new YAMLDecodeError(
      l0 !== 0 ? `yaml: line ${l0 + 1}: exceeded max depth of ${GO_YAML_MAX_DEPTH}` : `yaml: exceeded max depth of ${GO_YAML_MAX_DEPTH}`,
    );
  const blankAt = (j: number) => j >= n || text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || text[j] === '\r';
  const roll = (column: number): boolean => {
    if (flow > 0 || indent >= column) return false;
    indents.push(indent);
    indent = column;
    return indents.length > GO_YAML_MAX_DEPTH;
  };
  const newline = () => {
    if (text[i] === '\r' && text[i + 1] === '\n') i++;
    i++;
    line++;
    lineStart = i;
    atLineStart = true;
  };
  const toEol = () => {
    while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
  };
  /** After a scalar: `:` and a blank (or `:` in flow) makes it a simple key. */
  const keyFollows = () => {
    let j = i;
    while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
    return text[j] === ':' && (blankAt(j + 1) || flow > 0);
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '\n' || c === '\r') {
      newline();
      continue;
    }
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const column = i - lineStart;
    if (atLineStart) {
      atLineStart = false;
      if (flow === 0 && c !== '#') {
        if (column === 0 && (text.startsWith('---', i) || text.startsWith('...', i)) && blankAt(i + 3)) {
          indent = -1;
          indents.length = 0;
          i += 3;
          continue;
        }
        if (column === 0 && c === '%') {
          toEol();
          continue;
        }
        while (indent > column) indent = indents.pop()!;
      }
    }
    if (c === '#' && (i === lineStart || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      toEol();
      continue;
    }
    if (c === '[' || c === '{') {
      if (++flow > GO_YAML_MAX_DEPTH) return fail(line);
      i++;
      continue;
    }
    if (c === ']' || c === '}') {
      if (flow > 0) flow--;
      i++;
      continue;
    }
    if (c === ',' && flow > 0) {
      i++;
      continue;
    }
    if ((c === '-' || c === '?') && blankAt(i + 1)) {
      if (roll(column)) return fail(line);
      i++;
      continue;
    }
    if (c === ':' && (blankAt(i + 1) || flow > 0)) {
      i++;
      continue;
    }
    if (c === '&' || c === '!' || c === '*') {
      while (i < n && !blankAt(i) && !(flow > 0 && ',[]{}'.includes(text[i]!))) i++;
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      while (i < n) {
        const q = text[i]!;
        if (q === '\n' || q === '\r') {
          newline();
          atLineStart = false;
          continue;
        }
        if (c === '"' && q === '\\') {
          i += 2;
          continue;
        }
        i++;
        if (q === c) {
          if (c === "'" && text[i] === "'") {
            i++;
            continue;
          }
          break;
        }
      }
      if (keyFollows() && roll(column)) return fail(line);
      continue;
    }
    if ((c === '|' || c === '>') && flow === 0) {
      // A block scalar: its lines are the blank ones and those indented past the block's.
      toEol();
      const min = Math.max(indent, 0);
      while (i < n) {
        const save = i;
        newline();
        let k = i;
        while (k < n && text[k] === ' ') k++;
        if (k >= n || text[k] === '\n' || text[k] === '\r' || k - i > min) {
          i = k;
          toEol();
          continue;
        }
        // Not part of the scalar: back to the start of that line.
        i = save;
        line--;
        break;
      }
      continue;
    }
    // A plain scalar: up to `: `, ` #`, the end of the line or, in flow, a flow indicator.
    while (i < n) {
      const p = text[i]!;
      if (p === '\n' || p === '\r') break;
      if (p === ':' && (blankAt(i + 1) || (flow > 0 && ',[]{}'.includes(text[i + 1] ?? '')))) break;
      if (p === '#' && (text[i - 1] === ' ' || text[i - 1] === '\t')) break;
      if (flow > 0 && ',[]{}'.includes(p)) break;
      i++;
    }
    if (text[i] === ':' && roll(column)) return fail(line);
  }
  return undefined;
}
