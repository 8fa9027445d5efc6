// authentication.k8s.io/v1 TokenReview and SelfSubjectReview; authorization.k8s.io/v1
// SubjectAccessReview, SelfSubjectAccessReview, LocalSubjectAccessReview and
// SelfSubjectRulesReview. Field names, required lists and list extensions follow upstream
// k8s.io/api v0.32; descriptions are the first sentence of upstream's comments.
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Bool, Opt, MapOf, StringList, AtomicList, typeMeta } from './common.js';
import { ObjectMetaSchema, LabelSelectorRequirementSchema } from './meta.js';

const ExtraValue = () => StringList('ExtraValue masks the value so protobuf can generate');

export const UserInfoSchema = Named(
  'io.k8s.api.authentication.v1.UserInfo',
  'UserInfo holds the information about the user needed to implement the user.Info interface.',
  {
    username: Opt(Str('The name that uniquely identifies this user among all active users.')),
    uid: Opt(Str('A unique value that identifies this user across time.')),
    groups: Opt(StringList('The names of groups this user is a part of.')),
    extra: Opt(MapOf(ExtraValue(), 'Any additional information provided by the authenticator.')),
  },
);
export type UserInfo = Static<typeof UserInfoSchema>;

export const TokenReviewSpecSchema = Named(
  'io.k8s.api.authentication.v1.TokenReviewSpec',
  'TokenReviewSpec is a description of the token authentication request.',
  {
    token: Opt(Str('Token is the opaque bearer token.')),
    audiences: Opt(StringList('Audiences is a list of the identifiers that the resource server presented with the token identifies as.')),
  },
);

export const TokenReviewStatusSchema = Named(
  'io.k8s.api.authentication.v1.TokenReviewStatus',
  'TokenReviewStatus is the result of the token authentication request.',
  {
    authenticated: Opt(Bool('Authenticated indicates that the token was associated with a known user.')),
    user: Opt(Field(UserInfoSchema, 'User is the UserInfo associated with the provided token.')),
    audiences: Opt(
      StringList('Audiences are audience identifiers chosen by the authenticator that are compatible with both the TokenReview and token.'),
    ),
    error: Opt(Str("Error indicates that the token couldn't be checked")),
  },
);

export const TokenReviewSchema = Named(
  'io.k8s.api.authentication.v1.TokenReview',
  'TokenReview attempts to authenticate a token to a known user.',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    spec: Field(TokenReviewSpecSchema, 'Spec holds information about the request being evaluated'),
    status: Opt(
      Field(TokenReviewStatusSchema, 'Status is filled in by the server and indicates whether the request can be authenticated.'),
    ),
  },
);
export type TokenReview = Static<typeof TokenReviewSchema>;

export const SelfSubjectReviewStatusSchema = Named(
  'io.k8s.api.authentication.v1.SelfSubjectReviewStatus',
  'SelfSubjectReviewStatus is filled by the kube-apiserver and sent back to a user.',
  {
    userInfo: Opt(Field(UserInfoSchema, 'User attributes of the user making this request.')),
  },
);

export const SelfSubjectReviewSchema = Named(
  'io.k8s.api.authentication.v1.SelfSubjectReview',
  'SelfSubjectReview contains the user information that the kube-apiserver has about the user making this request.',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    status: Opt(Field(SelfSubjectReviewStatusSchema, 'Status is filled in by the server with the user attributes.')),
  },
);
export type SelfSubjectReview = Static<typeof SelfSubjectReviewSchema>;

const FieldSelectorRequirementSchema = Named(
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement',
  'FieldSelectorRequirement is a selector that contains values, a key, and an operator that relates the key and values.',
  {
    key: Str('key is the field selector key that the requirement applies to.'),
    operator: Str("operator represents a key's relationship to a set of values."),
    values: Opt(StringList('values is an array of string values.')),
  },
);

export const ResourceAttributesSchema = Named(
  'io.k8s.api.authorization.v1.ResourceAttributes',
  'ResourceAttributes includes the authorization attributes available for resource requests to the Authorizer interface',
  {
    namespace: Opt(Str('Namespace is the namespace of the action being requested.')),
    verb: Opt(Str('Verb is a kubernetes resource API verb, like: get, list, watch, create, update, delete, proxy.')),
    group: Opt(Str('Group is the API Group of the Resource.')),
    version: Opt(Str('Version is the API Version of the Resource.')),
    resource: Opt(Str('Resource is one of the existing resource types.')),
    subresource: Opt(Str('Subresource is one of the existing resource types.')),
    name: Opt(Str('Name is the name of the resource being requested for a "get" or deleted for a "delete".')),
    fieldSelector: Opt(
      Field(
        Named('io.k8s.api.authorization.v1.FieldSelectorAttributes', 'FieldSelectorAttributes indicates a field limited access.', {
          rawSelector: Opt(Str('rawSelector is the serialization of a field selector that would be included in a query parameter.')),
          requirements: Opt(AtomicList(FieldSelectorRequirementSchema, 'requirements is the parsed interpretation of a field selector.')),
        }),
        'fieldSelector describes the limitation on access based on field.',
      ),
    ),
    labelSelector: Opt(
      Field(
        Named('io.k8s.api.authorization.v1.LabelSelectorAttributes', 'LabelSelectorAttributes indicates a label limited access.', {
          rawSelector: Opt(Str('rawSelector is the serialization of a field selector that would be included in a query parameter.')),
          requirements: Opt(AtomicList(LabelSelectorRequirementSchema, 'requirements is the parsed interpretation of a label selector.')),
        }),
        'labelSelector describes the limitation on access based on labels.',
      ),
    ),
  },
);
export type ResourceAttributes = Static<typeof ResourceAttributesSchema>;

export const NonResourceAttributesSchema = Named(
  'io.k8s.api.authorization.v1.NonResourceAttributes',
  'NonResourceAttributes includes the authorization attributes available for non-resource requests to the Authorizer interface',
  {
    path: Opt(Str('Path is the URL path of the request')),
    verb: Opt(Str('Verb is the standard HTTP verb')),
  },
);
export type NonResourceAttributes = Static<typeof NonResourceAttributesSchema>;

export const SubjectAccessReviewSpecSchema = Named(
  'io.k8s.api.authorization.v1.SubjectAccessReviewSpec',
  'SubjectAccessReviewSpec is a description of the access request.',
  {
    resourceAttributes: Opt(
      Field(ResourceAttributesSchema, 'ResourceAuthorizationAttributes describes information for a resource access request'),
    ),
    nonResourceAttributes: Opt(
      Field(NonResourceAttributesSchema, 'NonResourceAttributes describes information for a non-resource access request'),
    ),
    user: Opt(Str("User is the user you're testing for.")),
    groups: Opt(StringList("Groups is the groups you're testing for.")),
    extra: Opt(MapOf(ExtraValue(), 'Extra corresponds to the user.Info.GetExtra() method from the authenticator.')),
    uid: Opt(Str('UID information about the requesting user.')),
  },
);
export type SubjectAccessReviewSpec = Static<typeof SubjectAccessReviewSpecSchema>;

export const SelfSubjectAccessReviewSpecSchema = Named(
  'io.k8s.api.authorization.v1.SelfSubjectAccessReviewSpec',
  'SelfSubjectAccessReviewSpec is a description of the access request.',
  {
    resourceAttributes: Opt(
      Field(ResourceAttributesSchema, 'ResourceAuthorizationAttributes describes information for a resource access request'),
    ),
    nonResourceAttributes: Opt(
      Field(NonResourceAttributesSchema, 'NonResourceAttributes describes information for a non-resource access request'),
    ),
  },
);

export const SubjectAccessReviewStatusSchema = Named('io.k8s.api.authorization.v1.SubjectAccessReviewStatus', 'SubjectAccessReviewStatus', {
  allowed: Bool('Allowed is required.'),
  denied: Opt(Bool('Denied is optional.')),
  reason: Opt(Str('Reason is optional.')),
  evaluationError: Opt(Str('EvaluationError is an indication that some error occurred during the authorization check.')),
});

const accessReview = (
  name: string,
  description: string,
  spec: typeof SubjectAccessReviewSpecSchema | typeof SelfSubjectAccessReviewSpecSchema,
) =>
  Named(name, description, {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, 'Standard list metadata.')),
    spec: Field(spec, 'Spec holds information about the request being evaluated'),
    status: Opt(
      Field(SubjectAccessReviewStatusSchema, 'Status is filled in by the server and indicates whether the request is allowed or not'),
    ),
  });

export const SubjectAccessReviewSchema = accessReview(
  'io.k8s.api.authorization.v1.SubjectAccessReview',
  'SubjectAccessReview checks whether or not a user or group can perform an action.',
  SubjectAccessReviewSpecSchema,
);
export type SubjectAccessReview = Static<typeof SubjectAccessReviewSchema>;
export const SelfSubjectAccessReviewSchema = accessReview(
  'io.k8s.api.authorization.v1.SelfSubjectAccessReview',
  'SelfSubjectAccessReview checks whether or the current user can perform an action.',
  SelfSubjectAccessReviewSpecSchema,
);
export type SelfSubjectAccessReview = Static<typeof SelfSubjectAccessReviewSchema>;
export const LocalSubjectAccessReviewSchema = accessReview(
  'io.k8s.api.authorization.v1.LocalSubjectAccessReview',
  'LocalSubjectAccessReview checks whether or not a user or group can perform an action in a given namespace.',
  SubjectAccessReviewSpecSchema,
);
export type LocalSubjectAccessReview = Static<typeof LocalSubjectAccessReviewSchema>;

const ResourceRuleSchema = Named(
  'io.k8s.api.authorization.v1.ResourceRule',
  'ResourceRule is the list of actions the subject is allowed to perform on resources.',
  {
    verbs: StringList('Verb is a list of kubernetes resource API verbs, like: get, list, watch, create, update, delete, proxy.'),
    apiGroups: Opt(StringList('APIGroups is the name of the APIGroup that contains the resources.')),
    resources: Opt(StringList('Resources is a list of resources this rule applies to.')),
    resourceNames: Opt(StringList('ResourceNames is an optional white list of names that the rule applies to.')),
  },
);

const NonResourceRuleSchema = Named(
  'io.k8s.api.authorization.v1.NonResourceRule',
  'NonResourceRule holds information that describes a rule for the non-resource',
  {
    verbs: StringList('Verb is a list of kubernetes non-resource API verbs, like: get, post, put, delete, patch, head, options.'),
    nonResourceURLs: Opt(StringList('NonResourceURLs is a set of partial urls that a user should have access to.')),
  },
);

export const SelfSubjectRulesReviewSchema = Named(
  'io.k8s.api.authorization.v1.SelfSubjectRulesReview',
  'SelfSubjectRulesReview enumerates the set of actions the current user can perform within a namespace.',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, 'Standard list metadata.')),
    spec: Field(
      Named(
        'io.k8s.api.authorization.v1.SelfSubjectRulesReviewSpec',
        'SelfSubjectRulesReviewSpec defines the specification for SelfSubjectRulesReview.',
        {
          namespace: Opt(Str('Namespace to evaluate rules for.')),
        },
      ),
      'Spec holds information about the request being evaluated.',
    ),
    status: Opt(
      Field(
        Named('io.k8s.api.authorization.v1.SubjectRulesReviewStatus', 'SubjectRulesReviewStatus contains the result of a rules check.', {
          resourceRules: AtomicList(
            ResourceRuleSchema,
            'ResourceRules is the list of actions the subject is allowed to perform on resources.',
          ),
          nonResourceRules: AtomicList(
            NonResourceRuleSchema,
            'NonResourceRules is the list of actions the subject is allowed to perform on non-resources.',
          ),
          incomplete: Bool('Incomplete is true when the rules returned by this call are incomplete.'),
          evaluationError: Opt(Str('EvaluationError can appear in combination with Rules.')),
        }),
        'Status is filled in by the server and indicates the set of actions a user can perform.',
      ),
    ),
  },
);
export type SelfSubjectRulesReview = Static<typeof SelfSubjectRulesReviewSchema>;
