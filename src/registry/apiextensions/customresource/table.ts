// The table of a custom resource (upstream apiextensions-apiserver
// pkg/registry/customresource/tableconvertor): Name, then the version's additionalPrinterColumns
// (an Age column of .metadata.creationTimestamp when it declares none), each cell the first value
// at the column's JSON path as the column's type prints it (printerCell); `date` cells are ages. A
// column whose path does not parse ends the columns there, as upstream's convertor logs and stops.
import type { KubeObject } from '../../../apimachinery/types.js';
import { compileColumnPath, printerCell, type JSONPath } from '../../../apimachinery/jsonpath.js';
import type { TableColumn } from '../../types.js';
import { humanDuration, nameColumn } from '../../printers.js';
import type { ColumnDefinition } from '../crd/types.js';

const CREATION_TIMESTAMP_DESC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** serveDefaultColumnsIfEmpty: a CRD version without columns prints an Age. */
const DEFAULT_COLUMNS: ColumnDefinition[] = [
  { name: 'Age', type: 'date', description: CREATION_TIMESTAMP_DESC, jsonPath: '.metadata.creationTimestamp' },
];

export function customResourceTable(columns: readonly ColumnDefinition[] | undefined): ResourceTable {
  const defs = columns?.length ? columns : DEFAULT_COLUMNS;
  const cols: TableColumn[] = [nameColumn()];
  const paths: { path: JSONPath; type: string }[] = [];
  for (const c of defs) {
    const path = compileColumnPath(c.jsonPath ?? '');
    if ('error' in path) break;
    paths.push({ path, type: c.type ?? '' });
    cols.push({
      name: c.name ?? '',
      type: (c.type ?? 'string') as TableColumn['type'],
      ...(c.format ? { format: c.format } : {}),
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    });
  }
  return {
    columns: cols,
    row: (o, now) => [
      o.metadata.name,
      ...paths.map(({ path, type }) => printerCell(path, o, type, (t) => humanDuration(now.getTime() - t))),
    ],
  };
}

interface ResourceTable {
  columns: TableColumn[];
  row(o: KubeObject, now: Date): unknown[];
}
