// What the store reports when a write or a read cannot be done, in storage terms (upstream
// k8s.io/apiserver/pkg/storage/errors.go: ErrCodeKeyNotFound, ErrCodeKeyExists,
// ErrCodeResourceVersionConflicts; a compacted revision is the etcd store's "expired"). The
// store knows keys, not API kinds: the registry turns these into API Status errors with the
// resource's group and the object's name (registry/storage-errors.ts, upstream
// pkg/registry/generic/registry/storage_factory.go's storeerr.Interpret*Error).

export type StorageErrorCode =
  /** No object under the key. */
  | 'KeyNotFound'
  /** Create of a key that holds an object. */
  | 'KeyExists'
  /** An update whose expected revision is not the stored one. */
  | 'Conflict'
  /** A list or watch from a revision the change log no longer holds (compacted). */
  | 'Expired';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    /** The storage resource (`services`, `events.k8s.io/events`); empty for Expired. */
    readonly resource: string,
    /** The object's name (KeyNotFound, KeyExists, Conflict). */
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** The list (continue token) or watch start is older than the oldest revision kept. */
export const expired = (message: string) => new StorageError('Expired', '', '', message);

/** upstream etcd3's "too old resource version: %d (%d)". */
export const tooOldRevision = (requested: number, oldest: number) => expired(`too old resource version: ${requested} (${oldest})`);
