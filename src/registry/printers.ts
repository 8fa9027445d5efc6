// Shared pieces of server-side printing (upstream pkg/printers/internalversion/printers.go and
// apimachinery/pkg/util/duration): the Name and Age columns every kind has, and the AGE text
// kubectl shows (`0s`, `59s`, `2m3s`, `10m`, `3h4m`, `2d5h`, `3y`).
import type { TableColumn } from './types.js';
import type { KubeObject } from '../apimachinery/types.js';
import { rfc3339 } from '../apimachinery/meta.js';

const NAME_DESC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** The first column of every table: upstream's `{Name: "Name", Type: "string", Format: "name"}`. */
export function nameColumn(priority = 0): TableColumn {
  return { name: 'Name', type: 'string', format: 'name', description: NAME_DESC, priority };
}

/** The Age column (a plain string column upstream, holding the human duration). */
export function ageColumn(): TableColumn {
  return { name: 'Age', type: 'string', description: AGE_DESC, priority: 0 };
}

export function column(name: string, description: string, priority = 0, type: TableColumn['type'] = 'string'): TableColumn {
  return { name, type, description, priority };
}

/** The CONTAINERS and IMAGES columns of the printers of kinds with a Pod template (wide, priority 1, but a PodTemplate's). */
export const containerColumns = (priority = 1): TableColumn[] => [
  column('Containers', 'Names of each container in the template.', priority),
  column('Images', 'Images referenced by each container in the template.', priority),
];

/** upstream layoutContainerCells: the containers' names and their images, each list joined by ','. */
export function layoutContainerCells(containers: readonly { name?: string; image?: string }[] | null | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name ?? '').join(','), cs.map((c) => c.image ?? '').join(',')];
}

/** upstream duration.HumanDuration: ~2-3 significant figures. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  // Up to 2s in the future is tolerated as clock skew ("0s").
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** upstream translateTimestampSince: `<unknown>` for a missing time. */
export function translateTimestampSince(ts: string | undefined | null, now: Date): string {
  if (!ts) return '<unknown>';
  const t = Date.parse(ts);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** The Age cell of an object. */
export function age(obj: { metadata: { creationTimestamp?: string } }, now: Date): string {
  return translateTimestampSince(obj.metadata.creationTimestamp, now);
}

/** upstream listWithMoreString: `a,b,c + 2 more...`, `<unset>` when empty. */
export function listWithMore(items: string[], max = 3, unset = '<unset>'): string {
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.length ? items.join(',') : unset;
}

/**
 * rest.NewDefaultTableConvertor, the table of kinds without a printer (RBAC kinds, CRDs, custom
 * resources without additionalPrinterColumns' own): the name and the creation time in RFC 3339 (UTC).
 */
export const defaultTable = {
  columns: [nameColumn(), { ...ageColumn(), name: 'Created At', type: 'date' } satisfies TableColumn],
  row: (o: KubeObject) => {
    const t = Date.parse(o.metadata.creationTimestamp ?? '');
    return [o.metadata.name, Number.isNaN(t) ? '0001-01-01T00:00:00Z' : rfc3339(new Date(t))];
  },
};
