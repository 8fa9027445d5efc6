// CEL property-name escaping for x-kubernetes-validations (upstream's apiserver/pkg/cel/escaping.go):
// a schema property is visible to a rule under an escaped name (`x-prop` as `x__dash__prop`,
// `namespace` as `__namespace__`), or not at all when its name cannot be made a CEL identifier.

/** Names that are CEL keywords or reserved words; such a property is reached as `__{name}__`. */
const RESERVED = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

const EXPAND = /__|[-./]|[^a-zA-Z0-9_]/g;
const REPLACEMENT: Record<string, string> = { __: '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' };

/** The CEL identifier for a property name, or undefined when the property is not accessible from rules. */
export function escapeName(name: string): string | undefined {
  if (!name || (name[0]! >= '0' && name[0]! <= '9')) return undefined;
  if (RESERVED.has(name)) return `__${name}__`;
  let ok = true;
  const out = name.replace(EXPAND, (s) => {
    const r = REPLACEMENT[s];
    if (r === undefined) ok = false;
    return r ?? '';
  });
  return ok ? out : undefined;
}
