// The admission.k8s.io/v1 types the webhook dispatcher speaks, typed here from upstream's
// k8s.io/api/admission/v1/types.go: the API has no served kind for them (AdmissionReview is only
// ever POSTed to webhooks), so scripts/gen-api.mjs generates nothing for the group. Also the
// request attributes the dispatcher matches on, upstream's admission.Attributes as plain data.
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from '../../api/generated/admissionregistration/v1.js';
import type { Status } from '../../apimachinery/errors.js';
import type { UserInfo } from '../../auth/users.js';

export type { UserInfo };

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** An object as admission sees it: any JSON object with the usual metadata. */
export type AdmissionObject = Record<string, unknown> & { metadata?: { labels?: Record<string, string>; [field: string]: unknown } };

/**
 * What admission is asked about (upstream's admission.Attributes). For a Namespace itself,
 * `namespace` is the Namespace's name as the request path gives it (empty on create), as
 * upstream's RequestInfo sets it.
 */
export interface AdmissionAttributes {
  operation: Operation;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subresource: string;
  namespace: string;
  name: string;
  /** The object being written; null for DELETE and for CONNECT. */
  object: AdmissionObject | null;
  /** The stored object on UPDATE and DELETE; null otherwise. */
  oldObject: AdmissionObject | null;
  userInfo: UserInfo;
  dryRun: boolean;
  /** The operation's options (CreateOptions, UpdateOptions, DeleteOptions, a connect's options), with kind and apiVersion. */
  options: Record<string, unknown> | null;
}

/** admission/v1 AdmissionRequest, in Go's field order (the order it goes on the wire). */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object: unknown;
  oldObject: unknown;
  dryRun?: boolean;
  options: unknown;
}

export type PatchType = 'JSONPatch';

/** admission/v1 AdmissionResponse as a webhook sends it (patch still base64). */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Partial<Status> | null;
  patch?: string | null;
  patchType?: string | null;
  auditAnnotations?: Record<string, string> | null;
  warnings?: string[] | null;
}

export interface AdmissionReview {
  kind?: string;
  apiVersion?: string;
  request?: AdmissionRequest | null;
  response?: AdmissionResponse | null;
}

/** The versions of AdmissionReview the dispatcher can send (upstream's AcceptedAdmissionReviewVersions). */
export type ReviewVersion = 'v1' | 'v1beta1';

export type WebhookConfiguration = ValidatingWebhookConfiguration | MutatingWebhookConfiguration;
