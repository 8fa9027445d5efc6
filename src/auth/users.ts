// Who the cluster's own credentials are. The admin token of the kubeconfig is a member of
// system:masters, the group upstream's authorizer lets do anything; tinykube lets every
// authenticated user do anything (upstream's AlwaysAllow authorizer), so the groups only show in
// `kubectl auth whoami` and in TokenReviews.
/** Who a request or a token is (upstream user.Info). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const ADMIN_USER: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
