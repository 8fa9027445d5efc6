// Server-side printing: meta.k8s.io/v1 Table from a kind's columns (upstream
// staging/src/k8s.io/apiserver/pkg/registry/rest/table.go + pkg/printers). kubectl asks for
// Tables on `get` and prints them as they come, so the columns here are what users see.
import type { ResourceDef } from './types.js';
import type { KubeObject } from '../apimachinery/types.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function partialObjectMetadata(o: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function tableColumns(def: ResourceDef) {
  return def.table.columns.map((c) => ({
    name: c.name,
    type: c.type === 'date' ? 'string' : c.type,
    format: c.type === 'date' ? 'date' : (c.format ?? (c.name === 'Name' ? 'name' : '')),
    description: c.description,
    priority: c.priority,
  }));
}

export function tableRow(def: ResourceDef, o: KubeObject, include: IncludeObject, now: Date): Record<string, unknown> {
  const row: Record<string, unknown> = { cells: def.table.row(o, now) };
  if (include === 'Metadata') row.object = partialObjectMetadata(o);
  else if (include === 'Object') row.object = o;
  return row;
}

export function toTable(
  def: ResourceDef,
  items: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject,
  withColumns = true,
): Record<string, unknown> {
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns ? tableColumns(def) : null,
    rows: items.map((o) => tableRow(def, o, include, now)),
  };
}
