// The review kinds: create-only, answered and never stored (upstream pkg/registry/authentication
// and pkg/registry/authorization). Access reviews ask the cluster's authorizer: by default
// AlwaysAllow (everything allowed, the rules review lists everything), with
// `--authorization-mode RBAC` the RBAC objects; TokenReview checks a token as the API server's own
// authentication does.
//   - authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`): the requester.
//   - authentication.k8s.io/v1 TokenReview: who a bearer token is, for the given audiences.
//   - authorization.k8s.io/v1 SelfSubjectAccessReview (`kubectl auth can-i`), SubjectAccessReview,
//     LocalSubjectAccessReview: upstream's validation, then allowed.
//   - authorization.k8s.io/v1 SelfSubjectRulesReview (`kubectl auth can-i --list`).
import {
  schemas as authn,
  type SelfSubjectReview,
  type TokenReview,
  type UserInfo as UserInfoV1,
} from '../api/generated/authentication/v1.js';
import {
  schemas as authz,
  type LocalSubjectAccessReview,
  type NonResourceAttributes,
  type ResourceAttributes,
  type SelfSubjectAccessReview,
  type SelfSubjectRulesReview,
  type SubjectAccessReview,
  type SubjectAccessReviewSpec,
  type SubjectAccessReviewStatus,
} from '../api/generated/authorization/v1.js';
import { nonResourceAttributes, resourceAttributes } from '../auth/rbac/attributes.js';
import { alwaysAllowRulesFor, rulesReviewStatus } from '../auth/rbac/rules-review.js';
import type { Schema } from '../apimachinery/schema.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { ResourceDef, ReviewContext } from './types.js';
import type { UserInfo } from '../auth/users.js';
import { defineKind, type Obj } from './define.js';
import { fieldErr, GoLiteral, type FieldError } from '../apimachinery/field.js';
import { ageColumn, age, nameColumn } from './printers.js';
import { badRequest, invalid } from '../apimachinery/errors.js';

/** The access reviews' spec: SubjectAccessReviewSpec's fields, those of the other specs among them. */
type AccessSpec = Partial<SubjectAccessReviewSpec>;

/** Upstream's default table for kinds without a printer: name and age. */
const table = { columns: [nameColumn(), ageColumn()], row: (o: KubeObject, now: Date) => [o.metadata.name ?? '', age(o, now)] };

function reviewKind<T extends KubeObject>(o: {
  group: string;
  kind: string;
  plural: string;
  namespaced?: boolean;
  /** The kind's generated schema, read when first needed. */
  schema: () => Schema;
  review: (obj: T, ctx: ReviewContext) => void;
}): ResourceDef {
  return defineKind<T>({
    group: o.group,
    version: 'v1',
    kind: o.kind,
    plural: o.plural,
    singular: o.kind.toLowerCase(),
    namespaced: o.namespaced ?? false,
    get schema() {
      return o.schema();
    },
    openapiName: `io.k8s.api.${o.group.split('.')[0]}.v1.${o.kind}`,
    verbs: ['create'],
    review: o.review,
    table,
  });
}

/** What `kubectl auth whoami` prints: extra only when there is some (Go's omitempty). */
const userInfo = (u: UserInfo): UserInfoV1 => {
  const out: UserInfoV1 = { username: u.username };
  if (u.uid) out.uid = u.uid;
  out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
};

/** How Go's %#v prints the internal NonResourceAttributes in a field error. */
const nonResourceValue = (n: NonResourceAttributes) =>
  new GoLiteral(`authorization.NonResourceAttributes{Path:${JSON.stringify(n.path ?? '')}, Verb:${JSON.stringify(n.verb ?? '')}}`);

/** upstream validateResourceAttributes: the selector forms. */
function validateResourceAttributes(ra: ResourceAttributes | undefined): FieldError[] {
  if (!ra) return [];
  const errs: FieldError[] = [];
  for (const [name, sel] of [
    ['fieldSelector', ra.fieldSelector],
    ['labelSelector', ra.labelSelector],
  ] as const) {
    if (!sel) continue;
    const at = `spec.resourceAttributes.${name}`;
    const reqs = sel.requirements ?? [];
    if (sel.rawSelector && reqs.length)
      errs.push(fieldErr.invalid(`${at}.rawSelector`, sel.rawSelector, 'may not specified at the same time as requirements'));
    if (!sel.rawSelector && !reqs.length)
      errs.push(fieldErr.required(`${at}.requirements`, `when ${at} is specified, requirements or rawSelector is required`));
    reqs.forEach((r, i) => {
      if (!r.key) errs.push(fieldErr.required(`${at}.requirements[${i}].key`, 'must be specified'));
    });
  }
  return errs;
}

/** upstream ValidateSubjectAccessReviewSpec / ValidateSelfSubjectAccessReviewSpec. */
function validateAccessSpec(spec: AccessSpec | undefined, needsSubject: boolean): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  if (s.resourceAttributes && s.nonResourceAttributes) {
    errs.push(
      fieldErr.invalid(
        'spec.nonResourceAttributes',
        nonResourceValue(s.nonResourceAttributes),
        'cannot be specified in combination with resourceAttributes',
      ),
    );
  }
  if (!s.resourceAttributes && !s.nonResourceAttributes) {
    errs.push(
      fieldErr.invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
    );
  }
  if (needsSubject && !s.user && !s.groups?.length)
    errs.push(fieldErr.invalid('spec.user', s.user ?? '', 'at least one of user or group must be specified'));
  errs.push(...validateResourceAttributes(s.resourceAttributes));
  return errs;
}

const refuse = (o: KubeObject, group: string, errs: FieldError[]) => {
  if (errs.length) throw invalid(o.kind ?? '', group, o.metadata.name ?? '', errs);
};

/**
 * The access review's answer: AlwaysAllow's (allowed, no reason) without an authorizer, else the
 * authorizer's decision on the spec's attributes for `user` (SubjectAccessReviewStatus: a reason
 * only when there is one, `denied` only for an explicit deny).
 */
function decide(spec: AccessSpec, user: UserInfo, ctx: ReviewContext, namespace?: string): SubjectAccessReviewStatus {
  if (!ctx.authorizer) return { allowed: true };
  const ra = spec.resourceAttributes;
  const attrs = ra
    ? resourceAttributes({
        verb: ra.verb ?? '',
        apiGroup: ra.group ?? '',
        apiVersion: ra.version ?? '',
        namespace: namespace ?? ra.namespace ?? '',
        resource: ra.resource ?? '',
        subresource: ra.subresource ?? '',
        name: ra.name ?? '',
      })
    : nonResourceAttributes(spec.nonResourceAttributes?.verb ?? '', spec.nonResourceAttributes?.path ?? '');
  const r = ctx.authorizer.authorize(attrs, user);
  return {
    allowed: r.decision === 'allow',
    ...(r.decision === 'deny' ? { denied: true } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

/** The user a SubjectAccessReview asks about (its spec's user, groups, uid and extra). */
const specUser = (spec: AccessSpec): UserInfo => ({
  username: spec.user ?? '',
  groups: spec.groups ?? [],
  ...(spec.uid ? { uid: spec.uid } : {}),
  ...(spec.extra ? { extra: spec.extra as Record<string, string[]> } : {}),
});

const AUTHN = 'authentication.k8s.io';
const AUTHZ = 'authorization.k8s.io';

export const selfSubjectReviewDef = reviewKind<Obj<SelfSubjectReview>>({
  group: AUTHN,
  kind: 'SelfSubjectReview',
  plural: 'selfsubjectreviews',
  schema: () => authn.SelfSubjectReview,
  review: (o, ctx) => {
    o.status = { userInfo: userInfo(ctx.user) };
  },
});

export const tokenReviewDef = reviewKind<Obj<TokenReview>>({
  group: AUTHN,
  kind: 'TokenReview',
  plural: 'tokenreviews',
  schema: () => authn.TokenReview,
  review: (o, ctx) => {
    const spec = o.spec ?? {};
    if (!spec.token) throw badRequest('token is required for TokenReview in authentication');
    const who = ctx.authenticateToken(spec.token, spec.audiences?.length ? spec.audiences : undefined);
    // A token nobody recognises is no error upstream, just unauthenticated (Go leaves out
    // authenticated=false; user is a struct, always there).
    if (!who) o.status = { user: {} };
    else if ('error' in who) o.status = { user: {}, error: who.error };
    else o.status = { authenticated: true, user: userInfo(who.user), audiences: who.audiences };
  },
});

export const selfSubjectAccessReviewDef = reviewKind<Obj<SelfSubjectAccessReview>>({
  group: AUTHZ,
  kind: 'SelfSubjectAccessReview',
  plural: 'selfsubjectaccessreviews',
  schema: () => authz.SelfSubjectAccessReview,
  review: (o, ctx) => {
    refuse(o, AUTHZ, validateAccessSpec(o.spec, false));
    o.status = decide(o.spec ?? {}, ctx.user, ctx);
  },
});

export const subjectAccessReviewDef = reviewKind<Obj<SubjectAccessReview>>({
  group: AUTHZ,
  kind: 'SubjectAccessReview',
  plural: 'subjectaccessreviews',
  schema: () => authz.SubjectAccessReview,
  review: (o, ctx) => {
    refuse(o, AUTHZ, validateAccessSpec(o.spec, true));
    o.status = decide(o.spec ?? {}, specUser(o.spec ?? {}), ctx);
  },
});

export const localSubjectAccessReviewDef = reviewKind<Obj<LocalSubjectAccessReview>>({
  group: AUTHZ,
  kind: 'LocalSubjectAccessReview',
  plural: 'localsubjectaccessreviews',
  namespaced: true,
  schema: () => authz.LocalSubjectAccessReview,
  review: (o, ctx) => {
    const spec: AccessSpec = o.spec ?? {};
    const ns = o.metadata.namespace ?? '';
    const errs = validateAccessSpec(spec, true);
    if (spec.resourceAttributes && (spec.resourceAttributes.namespace ?? '') !== ns) {
      errs.push(
        fieldErr.invalid('spec.resourceAttributes.namespace', spec.resourceAttributes.namespace ?? '', 'must match metadata.namespace'),
      );
    }
    if (spec.nonResourceAttributes)
      errs.push(
        fieldErr.invalid('spec.nonResourceAttributes', nonResourceValue(spec.nonResourceAttributes), 'disallowed on this kind of request'),
      );
    refuse(o, AUTHZ, errs);
    o.status = decide(spec, specUser(spec), ctx, ns);
  },
});

export const selfSubjectRulesReviewDef = reviewKind<Obj<SelfSubjectRulesReview>>({
  group: AUTHZ,
  kind: 'SelfSubjectRulesReview',
  plural: 'selfsubjectrulesreviews',
  schema: () => authz.SelfSubjectRulesReview,
  review: (o, ctx) => {
    if (!o.spec?.namespace) throw badRequest('no namespace on request');
    // AlwaysAllow's rules (everything, complete), or what the RBAC objects give the user.
    o.status = rulesReviewStatus(ctx.rulesFor ? ctx.rulesFor(ctx.user, o.spec.namespace) : alwaysAllowRulesFor());
  },
});

export const reviewDefs = [
  selfSubjectReviewDef,
  tokenReviewDef,
  localSubjectAccessReviewDef,
  selfSubjectAccessReviewDef,
  selfSubjectRulesReviewDef,
  subjectAccessReviewDef,
];
