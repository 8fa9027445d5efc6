// Checks every kind shares before its own validation runs: upstream's ValidateObjectMeta (name
// present and well-formed for the kind, namespace, labels, annotations, finalizers, owner
// references) and, on update, ValidateObjectMetaUpdate's immutable fields. The rules themselves
// live in src/apimachinery/validation.ts.
import type { ResourceDef } from './types.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { FieldError } from '../apimachinery/field.js';
import { validateMetaFor } from '../apimachinery/validation.js';

export function validateDefCommon(def: ResourceDef, obj: KubeObject, old?: KubeObject): FieldError[] {
  return def.ownMetaValidation ? [] : validateMetaFor(def.kind, def.namespaced, obj, old);
}
