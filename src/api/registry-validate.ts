// Checks every kind shares before its own validation runs: upstream's ValidateObjectMeta (name
// present and well-formed for the kind, namespace, labels, annotations, finalizers, owner
// references) and, on update, ValidateObjectMetaUpdate's immutable fields. The rules themselves
// live in src/resources/validation.ts.
import type { KubeObject, ResourceDef } from '../resources/types.js';
import type { FieldError } from '../resources/field.js';
import { validateMetaFor } from '../resources/validation.js';

export function validateDefCommon(def: ResourceDef, obj: KubeObject, old?: KubeObject): FieldError[] {
  return validateMetaFor(def.kind, def.namespaced, obj, old);
}
