// The webhook dispatchers' errors, after upstream's k8s.io/apiserver/pkg/util/webhook/error.go
// (ErrCallingWebhook: the webhook could not be asked or answered nonsense, which failurePolicy
// decides about; ErrWebhookRejection: it said no) and
// pkg/admission/plugin/webhook/errors/statuserror.go (v1.32: ToStatusErr, NewDryRunUnsupportedErr).
import { StatusError, badRequest, type Status } from '../../apimachinery/errors.js';
import { goQuote } from './go-text.js';

/** A failure to talk to a webhook (or to make sense of its answer), not its verdict. */
export class ErrCallingWebhook extends Error {
  constructor(
    readonly webhookName: string,
    /** The cause's text; empty when there is none. */
    readonly reason: string,
    /** What a client would get from it: the webhook's own Status, or upstream's stand-in. */
    readonly status: StatusError,
  ) {
    super(
      reason
        ? `failed calling webhook ${goQuote(webhookName)}: ${reason}`
        : `failed calling webhook ${goQuote(webhookName)}; no further details available`,
    );
  }
}

/** A webhook's denial, as the Status the request fails with. */
export class ErrWebhookRejection extends Error {
  constructor(readonly status: StatusError) {
    super(status.message);
  }
}

/**
 * ToStatusErr (v1.32): the webhook's Status with a code of at least 400 and its message prefixed
 * `admission webhook "name" denied the request`; reason and details stay as the webhook sent them.
 */
export function toStatusErr(webhookName: string, result: Partial<Status> | null | undefined): StatusError {
  const deniedBy = `admission webhook ${goQuote(webhookName)} denied the request`;
  const r = result ?? {};
  const code = typeof r.code === 'number' && r.code >= 400 ? r.code : 400;
  const message = r.message ? `${deniedBy}: ${r.message}` : r.reason ? `${deniedBy}: ${r.reason}` : `${deniedBy} without explanation`;
  return new StatusError(code, r.reason ?? '', message, r.details ?? undefined);
}

/** NewDryRunUnsupportedErr: a dry-run request for a webhook that may have side effects. */
export const dryRunUnsupported = (webhookName: string): StatusError =>
  badRequest(`admission webhook ${goQuote(webhookName)} does not support dry run`);

/** StatusError.Error() of a Status decoded from a webhook's body. */
export function statusErrorFrom(s: Partial<Status>): StatusError {
  return new StatusError(typeof s.code === 'number' ? s.code : 0, s.reason ?? '', s.message ?? '', s.details ?? undefined);
}

/** apierrors.NewServiceUnavailable. */
export const serviceUnavailable = (message: string): StatusError => new StatusError(503, 'ServiceUnavailable', message);
