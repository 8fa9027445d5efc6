// Storage errors as API Status errors (upstream pkg/registry/generic/registry's
// storeerr.InterpretCreateError / InterpretUpdateError / InterpretGetError and the apiserver's
// watch and list paths): the store names keys, the API names the resource's group and the object.
import { alreadyExists, conflict, notFound, OPTIMISTIC_LOCK_MESSAGE, resourceExpired, type StatusError } from '../apimachinery/errors.js';
import { StorageError } from '../storage/errors.js';
import { groupResource } from '../storage/store.js';

export function statusOfStorageError(e: StorageError): StatusError {
  const gr = groupResource(e.resource);
  switch (e.code) {
    case 'KeyNotFound':
      return notFound(gr, e.key);
    case 'KeyExists':
      return alreadyExists(gr, e.key);
    case 'Conflict':
      return conflict(gr, e.key, OPTIMISTIC_LOCK_MESSAGE);
    case 'Expired':
      return resourceExpired(e.message);
  }
}

/** Rethrows a storage error as its Status; anything else unchanged. */
export function interpretStorageError(e: unknown): unknown {
  return e instanceof StorageError ? statusOfStorageError(e) : e;
}

/** Runs fn, translating a storage error it throws. */
export function withStatusErrors<R>(fn: () => R): R {
  try {
    return fn();
  } catch (e) {
    throw interpretStorageError(e);
  }
}
