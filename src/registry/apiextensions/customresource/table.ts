// The table of a custom resource (upstream apiextensions-apiserver
// pkg/registry/customresource/tableconvertor): Name, then the version's additionalPrinterColumns
// (an Age column of .metadata.creationTimestamp when it declares none), each cell the value at the
// column's JSON path typed by the column's type; `date` cells are ages.
import type { KubeObject } from '../../../apimachinery/types.js';
import type { TableColumn } from '../../types.js';
import { nameColumn, translateTimestampSince } from '../../printers.js';
import type { ColumnDefinition } from '../crd/types.js';
import { valueAt } from './paths.js';

const CREATION_TIMESTAMP_DESC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** serveDefaultColumnsIfEmpty: a CRD version without columns prints an Age. */
const DEFAULT_COLUMNS: ColumnDefinition[] = [
  { name: 'Age', type: 'date', description: CREATION_TIMESTAMP_DESC, jsonPath: '.metadata.creationTimestamp' },
];

export function customResourceTable(columns: readonly ColumnDefinition[] | undefined): ResourceTable {
  const cols = columns?.length ? columns : DEFAULT_COLUMNS;
  return {
    columns: [
      nameColumn(),
      ...cols.map((c): TableColumn => ({
        name: c.name ?? '',
        type: (c.type ?? 'string') as TableColumn['type'],
        ...(c.format ? { format: c.format } : {}),
        description: c.description ?? '',
        priority: c.priority ?? 0,
      })),
    ],
    row: (o, now) => [o.metadata.name, ...cols.map((c) => cell(valueAt(o, c.jsonPath ?? ''), c.type ?? 'string', now))],
  };
}

interface ResourceTable {
  columns: TableColumn[];
  row(o: KubeObject, now: Date): unknown[];
}

/** tableconvertor's cellForJSONValue (and the jsonpath printing of string columns). */
function cell(v: unknown, type: string, now: Date): unknown {
  if (v === undefined || v === null) return null;
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : goValue(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) ? v : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date':
      if (typeof v !== 'string') return null;
      return Number.isNaN(Date.parse(v)) ? '<invalid>' : translateTimestampSince(v, now);
  }
  return null;
}

/** fmt's %v of a decoded JSON value (jsonpath prints non-string results so). */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (v !== null && typeof v === 'object')
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`)
      .join(' ')}]`;
  return String(v);
}
