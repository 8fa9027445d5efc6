// ControllerRevision (apps/v1), after upstream pkg/registry/apps/controllerrevision: an immutable
// snapshot of a StatefulSet's or DaemonSet's template that rollbacks return to.
// ValidateControllerRevision (data is mandatory, revision >= 0) and ValidateControllerRevisionUpdate
// (data is immutable); printControllerRevision's table: NAME, CONTROLLER, REVISION, AGE.
import { schemas, type ControllerRevision } from '../../api/generated/apps/v1.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { validateImmutable } from '../../apimachinery/validation.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';

export type ControllerRevisionObj = Obj<ControllerRevision>;

function validateControllerRevision(cr: ControllerRevisionObj): FieldError[] {
  const errs: FieldError[] = [];
  if (cr.data === undefined || cr.data === null) errs.push(fieldErr.required('data', 'data is mandatory'));
  if (typeof cr.revision === 'number' && cr.revision < 0)
    errs.push(fieldErr.invalid('revision', cr.revision, 'must be greater than or equal to 0'));
  return errs;
}

/** upstream formatResourceName(GroupKind, name, true): `daemonset.apps/web`, `statefulset.apps/db`. */
function controllerName(cr: ControllerRevisionObj): string {
  const ref = cr.metadata.ownerReferences?.find((r) => r.controller);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash >= 0 ? ref.apiVersion.slice(0, slash) : '';
  const gk = group ? `${ref.kind}.${group}` : ref.kind;
  return gk ? `${gk.toLowerCase()}/${ref.name}` : ref.name;
}

export const controllerRevisionDef = defineKind<ControllerRevisionObj>({
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  get schema() {
    return schemas.ControllerRevision;
  },
  openapiName: 'io.k8s.api.apps.v1.ControllerRevision',
  defaults(cr) {
    // int64 `revision` is not omitempty upstream: a revision without one is revision 0.
    if (cr.revision === undefined || cr.revision === null) cr.revision = 0;
  },
  validate: (cr) => validateControllerRevision(cr),
  validateUpdate: (cr, old) => [...validateControllerRevision(cr), ...validateImmutable(cr.data ?? null, old.data ?? null, 'data')],
  table: {
    columns: [
      nameColumn(),
      column('Controller', 'Controller of the object'),
      column('Revision', 'Revision indicates the revision of the state represented by Data.'),
      ageColumn(),
    ],
    row: (cr, now) => [cr.metadata.name, controllerName(cr), cr.revision ?? 0, age(cr, now)],
  },
});
