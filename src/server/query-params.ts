// Query parameters of every endpoint, read the way upstream reads them (v1.32): the raw query
// split by net/url.ParseQuery, each options struct filled by its generated url.Values conversion
// (a present parameter's FIRST value counts, except for the slices dryRun and command), then
// upstream's validation for that struct. Conversion errors are 400 BadRequest with Go's text
// (`strconv.ParseInt: parsing "abc": invalid syntax`); validation errors are 422 Invalid on the
// options kind (`ListOptions.meta.k8s.io "" is invalid: ...`), as the handlers report them
// (k8s.io/apiserver pkg/endpoints/handlers: get.go, create.go, update.go, patch.go, delete.go,
// rest.go, response.go). Nothing else in the server parses a query string by hand.
import { StatusError, badRequest, invalid } from '../apimachinery/errors.js';
import { GoLiteral, fieldErr, type FieldError } from '../apimachinery/field.js';
import { SelectorError, parseFieldSelector, parseLabelSelector } from '../apimachinery/selectors.js';
import type { DeleteOptions as RegistryDeleteOptions, FieldValidation, PatchType, WriteOptions } from '../registry/generic-store.js';
import type { IncludeObject } from '../registry/table.js';
import { goIsPrint, goQuote } from '../apimachinery/go-format.js';
import { goParseInt, goParseUint, goDurationNs, GO_ZERO_TIME_MS, unmarshalTimeQueryParameter } from '../apimachinery/go-strconv.js';
import { parsePortForwardPorts } from '../streaming/portforward-ws.js';

/** url.Values: every value of every key, in request order. */
export type QueryValues = ReadonlyMap<string, readonly string[]>;

// ---------------------------------------------------------------------------------------------
// net/url

/** net/url.ParseQuery, errors ignored as req.URL.Query() ignores them: a pair whose key holds a
 *  `;`, or with a bad %-escape in key or value, is dropped; `+` is a space. */
export function parseQuery(raw: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const pair of raw.split('&')) {
    if (pair === '' || pair.includes(';')) continue;
    const eq = pair.indexOf('=');
    const key = queryUnescape(eq < 0 ? pair : pair.slice(0, eq));
    if (key === undefined) continue;
    const value = queryUnescape(eq < 0 ? '' : pair.slice(eq + 1));
    if (value === undefined) continue;
    const list = m.get(key);
    if (list) list.push(value);
    else m.set(key, [value]);
  }
  return m;
}

/** The query of a request URI (everything after the first `?`; a request URI has no fragment). */
export function requestQuery(url: string | undefined): Map<string, string[]> {
  const q = url?.indexOf('?') ?? -1;
  return q < 0 ? new Map() : parseQuery(url!.slice(q + 1));
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** url.QueryUnescape; undefined where Go answers an EscapeError. */
function queryUnescape(s: string): string | undefined {
  if (!s.includes('%') && !s.includes('+')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!HEX.test(h)) return undefined;
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (c === '+') bytes.push(0x20);
    else for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// The generated url.Values conversions' building blocks (k8s.io/apimachinery pkg/runtime/
// conversion.go, pkg/apis/meta/v1/conversion.go). A parameter counts when present with at
// least one value, and then its first value is used.

/** Conversion errors: what DecodeParameters returns, which every handler wraps in a 400. */
function decodeFailed(e: unknown): never {
  if (e instanceof StatusError) throw e;
  throw badRequest((e as Error).message);
}

const first = (q: QueryValues, key: string): string | undefined => q.get(key)?.[0];

/** Convert_Slice_string_To_bool: only "0" and "false" (any case) are false; "" is true. */
export function goBool(v: string): boolean {
  return v !== '0' && v.toLowerCase() !== 'false';
}

export const queryBool = (q: QueryValues, key: string): boolean => {
  const v = first(q, key);
  return v !== undefined && goBool(v);
};

/** Convert_Slice_string_To_Pointer_bool: undefined only when absent. */
export const queryPtrBool = (q: QueryValues, key: string): boolean | undefined => {
  const v = first(q, key);
  return v === undefined ? undefined : goBool(v);
};

/** Convert_Slice_string_To_string: "" when absent. */
export const queryString = (q: QueryValues, key: string): string => first(q, key) ?? '';

/** Convert_Slice_string_To_Pointer_int64 (strconv.ParseInt of the first value). */
export function queryPtrInt64(q: QueryValues, key: string): bigint | undefined {
  const v = first(q, key);
  if (v === undefined) return undefined;
  try {
    return goParseInt(v, 64);
  } catch (e) {
    return decodeFailed(e);
  }
}

/** Convert_Slice_string_To_int64: 0 when absent. */
export const queryInt64 = (q: QueryValues, key: string): bigint => queryPtrInt64(q, key) ?? 0n;

/** A slice field (dryRun, command): every value, undefined when absent. */
export const querySlice = (q: QueryValues, key: string): string[] | undefined => {
  const v = q.get(key);
  return v && v.length ? [...v] : undefined;
};

// ---------------------------------------------------------------------------------------------
// Validation errors

/** Go's %#v of a []string (field.NotSupported's value for dryRun). */
const goStringSlice = (v: readonly string[]) => new GoLiteral(`[]string{${v.map(goQuote).join(', ')}}`);
/** A string value as %q (and %#v of named string types) prints it. */
const goStr = (v: string) => new GoLiteral(goQuote(v));

/** errors.NewInvalid(GroupKind, name, errs): Go leaves an empty name and field out. */
export function invalidOptions(kind: string, group: string, name: string, errs: FieldError[]): StatusError {
  const e = invalid(kind, group, name, errs);
  if (e.details) {
    if (!e.details.name) delete e.details.name;
    for (const c of e.details.causes ?? []) if (!c.field) delete c.field;
  }
  return e;
}

const META = 'meta.k8s.io';

// ---------------------------------------------------------------------------------------------
// ListOptions (list, watch, deletecollection)

/** metainternalversion.ListOptions (selectors kept as their text; they are parsed to check). */
export interface ListOptions {
  labelSelector: string;
  fieldSelector: string;
  watch: boolean;
  allowWatchBookmarks: boolean;
  resourceVersion: string;
  resourceVersionMatch: string;
  timeoutSeconds?: bigint;
  limit: bigint;
  continue: string;
  sendInitialEvents?: boolean;
}

/** The WatchList feature gate: beta and on by default in v1.32 (k8s.io/apiserver pkg/features). */
export const WATCH_LIST_ENABLED = true;

/** Convert_url_Values_To_v1_ListOptions, then Convert_v1_ListOptions_To_internalversion_ListOptions
 *  (labels.Parse, fields.ParseSelector): 400 on a bad number or selector. */
export function decodeListOptions(q: QueryValues): ListOptions {
  const o: ListOptions = {
    labelSelector: queryString(q, 'labelSelector'),
    fieldSelector: queryString(q, 'fieldSelector'),
    watch: queryBool(q, 'watch'),
    allowWatchBookmarks: queryBool(q, 'allowWatchBookmarks'),
    resourceVersion: queryString(q, 'resourceVersion'),
    resourceVersionMatch: queryString(q, 'resourceVersionMatch'),
    timeoutSeconds: queryPtrInt64(q, 'timeoutSeconds'),
    limit: queryInt64(q, 'limit'),
    continue: queryString(q, 'continue'),
    sendInitialEvents: queryPtrBool(q, 'sendInitialEvents'),
  };
  try {
    parseLabelSelector(o.labelSelector);
    parseFieldSelector(o.fieldSelector);
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
  return o;
}

/** metainternalversion.SetListOptionsDefaults: with WatchList on, a watch from "" or "0" that
 *  names neither sendInitialEvents nor resourceVersionMatch is a watch-list. */
export function setListOptionsDefaults(o: ListOptions, watchListEnabled = WATCH_LIST_ENABLED): void {
  if (!watchListEnabled) return;
  if (o.sendInitialEvents !== undefined || o.resourceVersionMatch !== '') return;
  if (o.watch && (o.resourceVersion === '' || o.resourceVersion === '0')) {
    o.sendInitialEvents = true;
    o.resourceVersionMatch = 'NotOlderThan';
  }
}

/** ValidateListOptions / validateWatchOptions (apimachinery pkg/apis/meta/internalversion/validation). */
export function validateListOptions(o: ListOptions, watchListEnabled = WATCH_LIST_ENABLED): FieldError[] {
  const errs: FieldError[] = [];
  const match = o.resourceVersionMatch;
  if (o.watch) {
    if (o.sendInitialEvents !== undefined) {
      if (match !== 'NotOlderThan')
        errs.push(fieldErr.forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
      if (!watchListEnabled)
        errs.push(
          fieldErr.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'),
        );
    }
    if (match) {
      if (o.sendInitialEvents === undefined)
        errs.push(
          fieldErr.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'),
        );
      if (match !== 'NotOlderThan') errs.push(fieldErr.notSupported('resourceVersionMatch', goStr(match), ['NotOlderThan']));
      if (o.continue) errs.push(fieldErr.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
    return errs;
  }
  if (match) {
    if (!o.resourceVersion)
      errs.push(fieldErr.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
    if (o.continue) errs.push(fieldErr.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    if (match !== 'Exact' && match !== 'NotOlderThan')
      errs.push(fieldErr.notSupported('resourceVersionMatch', goStr(match), ['Exact', 'NotOlderThan', '']));
    if (match === 'Exact' && o.resourceVersion === '0')
      errs.push(fieldErr.forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
  }
  if (o.sendInitialEvents !== undefined) errs.push(fieldErr.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  return errs;
}

/** What ListResource and DeleteCollection do with the query: decode (400), default, validate (422). */
export function listOptions(q: QueryValues): ListOptions {
  const o = decodeListOptions(q);
  setListOptionsDefaults(o);
  const errs = validateListOptions(o);
  if (errs.length) throw invalidOptions('ListOptions', META, '', errs);
  return o;
}

/**
 * The watch's lifetime in ms (ListResource): time.Duration(timeoutSeconds) * time.Second, which
 * wraps in int64 as Go's does; 0 (or none) means the server's default. Negative: it ends at once.
 */
export function watchTimeoutMs(o: Pick<ListOptions, 'timeoutSeconds'>): number | undefined {
  if (o.timeoutSeconds === undefined) return undefined;
  const ns = goDurationNs(o.timeoutSeconds, 1_000_000_000n);
  if (ns === 0n) return undefined;
  return Number(ns / 1_000_000n);
}

/** The list page size: `limit` > 0 pages, anything else lists everything (storage's rule). */
export function listLimit(o: Pick<ListOptions, 'limit'>): number | undefined {
  return o.limit > 0n ? Number(o.limit) : undefined;
}

// ---------------------------------------------------------------------------------------------
// GetOptions

export interface GetOptions {
  resourceVersion: string;
}

/** GetResource: `export` (any true value) is refused, then Convert_url_Values_To_v1_GetOptions. */
export function getOptions(q: QueryValues): GetOptions {
  const exp = q.get('export');
  if (exp && exp.length && goBool(exp[0]!)) throw badRequest('the export parameter, deprecated since v1.14, is no longer supported');
  return { resourceVersion: queryString(q, 'resourceVersion') };
}

// ---------------------------------------------------------------------------------------------
// CreateOptions / UpdateOptions / PatchOptions

export interface WriteParams {
  dryRun?: string[];
  fieldManager: string;
  fieldValidation: string;
  /** PatchOptions only. */
  force?: boolean;
}

const FIELD_MANAGER_MAX = 128;

/** ValidateFieldManager: at most 128 bytes, only printable characters. */
export function validateFieldManager(manager: string, path = 'fieldManager'): FieldError[] {
  const errs: FieldError[] = [];
  if (Buffer.byteLength(manager) > FIELD_MANAGER_MAX) errs.push(fieldErr.tooLong(path, FIELD_MANAGER_MAX));
  let pos = 0;
  for (const ch of manager) {
    const cp = ch.codePointAt(0)!;
    const lone = cp >= 0xd800 && cp <= 0xdfff;
    if (!lone && !goIsPrint(cp)) {
      const u = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
      errs.push(fieldErr.invalid(path, goStr(manager), `invalid character ${u} (at position ${pos})`));
    }
    pos += Buffer.byteLength(ch);
  }
  return errs;
}

/** ValidateDryRun: every value must be "All" (an empty value is not). */
export function validateDryRun(dryRun: readonly string[] | undefined, path = 'dryRun'): FieldError[] {
  if (!dryRun || dryRun.every((v) => v === 'All')) return [];
  return [fieldErr.notSupported(path, goStringSlice(dryRun), ['All'])];
}

/** ValidateFieldValidation: "", Ignore, Strict or Warn. */
export function validateFieldValidation(v: string, path = 'fieldValidation'): FieldError[] {
  if (['', 'Ignore', 'Strict', 'Warn'].includes(v)) return [];
  return [fieldErr.notSupported(path, goStr(v), ['', 'Ignore', 'Strict', 'Warn'])];
}

/** Convert_url_Values_To_v1_{Create,Update}Options. */
export function decodeCreateOptions(q: QueryValues): WriteParams {
  return {
    dryRun: querySlice(q, 'dryRun'),
    fieldManager: queryString(q, 'fieldManager'),
    fieldValidation: queryString(q, 'fieldValidation'),
  };
}

/** Convert_url_Values_To_v1_PatchOptions (force is a *bool: present means set). */
export function decodePatchOptions(q: QueryValues): WriteParams {
  return { ...decodeCreateOptions(q), force: queryPtrBool(q, 'force') };
}

/** ValidateCreateOptions and ValidateUpdateOptions (the same three checks). */
export function validateCreateOptions(o: WriteParams): FieldError[] {
  return [...validateFieldManager(o.fieldManager), ...validateDryRun(o.dryRun), ...validateFieldValidation(o.fieldValidation)];
}

/** ValidatePatchOptions: apply needs a fieldManager; only apply takes force. */
export function validatePatchOptions(o: WriteParams, patchType: PatchType): FieldError[] {
  const errs: FieldError[] = [];
  if (patchType === 'apply') {
    if (o.fieldManager === '') errs.push(fieldErr.required('fieldManager', 'is required for apply patch'));
  } else if (o.force !== undefined) errs.push(fieldErr.forbidden('force', 'may not be specified for non-apply patch'));
  return [...errs, ...validateFieldManager(o.fieldManager), ...validateDryRun(o.dryRun), ...validateFieldValidation(o.fieldValidation)];
}

/** fieldmanager's prefixFromUserAgent: the agent up to its first `/`, printable characters only,
 *  cut to 128 bytes. */
export function managerFromUserAgent(ua: string | undefined): string {
  let out = '';
  let bytes = 0;
  for (const ch of (ua ?? '').split('/')[0]!) {
    const cp = ch.codePointAt(0)!;
    if (!goIsPrint(cp)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * The options of a create (`kind` CreateOptions), update (UpdateOptions) or patch (PatchOptions,
 * with its patch type), decoded and validated as those handlers do, in the registry's terms: the
 * manager defaults to the user agent's program name (managerOrUserAgent), fieldValidation to Warn.
 */
export function writeOptions(
  q: QueryValues,
  userAgent: string | undefined,
  verb: 'create' | 'update' | { patch: PatchType },
): WriteOptions {
  const patchType = typeof verb === 'object' ? verb.patch : undefined;
  const o = patchType ? decodePatchOptions(q) : decodeCreateOptions(q);
  const errs = patchType ? validatePatchOptions(o, patchType) : validateCreateOptions(o);
  const kind = patchType ? 'PatchOptions' : verb === 'create' ? 'CreateOptions' : 'UpdateOptions';
  if (errs.length) throw invalidOptions(kind, META, '', errs);
  return {
    dryRun: !!o.dryRun?.length,
    fieldManager: o.fieldManager || managerFromUserAgent(userAgent) || undefined,
    fieldValidation: (o.fieldValidation || 'Warn') as FieldValidation,
    force: o.force ?? false,
  };
}

/** The CreateOptions of a create-like subresource (eviction, binding, token): decoded and validated. */
export function createOptions(q: QueryValues): WriteParams {
  const o = decodeCreateOptions(q);
  const errs = validateCreateOptions(o);
  if (errs.length) throw invalidOptions('CreateOptions', META, '', errs);
  return o;
}

// ---------------------------------------------------------------------------------------------
// DeleteOptions

/** metav1.DeleteOptions as the handlers see it (query or body). */
export interface DeleteParams {
  gracePeriodSeconds?: bigint | number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  propagationPolicy?: string;
  dryRun?: string[];
}

/** Convert_url_Values_To_v1_DeleteOptions, with its manual uid/resourceVersion → preconditions. */
export function decodeDeleteOptions(q: QueryValues): DeleteParams {
  const o: DeleteParams = {};
  const grace = queryPtrInt64(q, 'gracePeriodSeconds');
  if (grace !== undefined) o.gracePeriodSeconds = grace;
  const orphan = queryPtrBool(q, 'orphanDependents');
  if (orphan !== undefined) o.orphanDependents = orphan;
  // Convert_Slice_string_To_Pointer_v1_DeletionPropagation: set (maybe to "") when present.
  const policy = first(q, 'propagationPolicy');
  if (policy !== undefined) o.propagationPolicy = policy;
  const dryRun = querySlice(q, 'dryRun');
  if (dryRun) o.dryRun = dryRun;
  // ignoreStoreReadErrorWithClusterBreakingPotential is decoded but dropped: its feature gate
  // (AllowUnsafeMalformedObjectDeletion) is off in v1.32.
  const uid = first(q, 'uid') ?? '';
  const rv = first(q, 'resourceVersion') ?? '';
  if (uid || rv) o.preconditions = { ...(uid ? { uid } : {}), ...(rv ? { resourceVersion: rv } : {}) };
  return o;
}

/** A decoded DeleteOptions body (JSON, YAML or protobuf) as DeleteParams: null is unset. */
export function deleteParamsFromBody(body: unknown): DeleteParams {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const b = body as Record<string, unknown>;
  const o: DeleteParams = {};
  const grace = b.gracePeriodSeconds;
  if (typeof grace === 'number' && Number.isInteger(grace)) o.gracePeriodSeconds = grace;
  else if (grace !== undefined && grace !== null) {
    const what = typeof grace === 'number' ? `number ${grace}` : Array.isArray(grace) ? 'array' : typeof grace;
    throw badRequest(`json: cannot unmarshal ${what} into Go struct field DeleteOptions.gracePeriodSeconds of type int64`);
  }
  if (typeof b.orphanDependents === 'boolean') o.orphanDependents = b.orphanDependents;
  if (typeof b.propagationPolicy === 'string') o.propagationPolicy = b.propagationPolicy;
  if (Array.isArray(b.dryRun)) o.dryRun = b.dryRun.map(String);
  const pre = b.preconditions as { uid?: unknown; resourceVersion?: unknown } | null | undefined;
  if (pre && typeof pre === 'object') {
    o.preconditions = {};
    if (typeof pre.uid === 'string') o.preconditions.uid = pre.uid;
    if (typeof pre.resourceVersion === 'string') o.preconditions.resourceVersion = pre.resourceVersion;
  }
  return o;
}

/** ValidateDeleteOptions. */
export function validateDeleteOptions(o: DeleteParams): FieldError[] {
  const errs: FieldError[] = [];
  const policy = o.propagationPolicy;
  if (o.orphanDependents !== undefined && policy !== undefined) {
    errs.push(fieldErr.invalid('propagationPolicy', goStr(policy), 'orphanDependents and deletionPropagation cannot be both set'));
  }
  if (policy !== undefined && policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan') {
    errs.push(fieldErr.notSupported('propagationPolicy', goStr(policy), ['Foreground', 'Background', 'Orphan', 'nil']));
  }
  return [...errs, ...validateDryRun(o.dryRun)];
}

/** DeleteOptions in the registry's terms. */
export function toRegistryDelete(o: DeleteParams): RegistryDeleteOptions {
  const out: RegistryDeleteOptions = {};
  if (o.gracePeriodSeconds !== undefined) out.gracePeriodSeconds = Number(o.gracePeriodSeconds);
  if (o.orphanDependents !== undefined) out.orphanDependents = o.orphanDependents;
  if (o.propagationPolicy !== undefined) out.propagationPolicy = o.propagationPolicy as RegistryDeleteOptions['propagationPolicy'];
  if (o.preconditions) out.preconditions = o.preconditions;
  if (o.dryRun?.length) out.dryRun = true;
  return out;
}

/**
 * DeleteResource / DeleteCollection: a request with a body takes its DeleteOptions from the body
 * alone (the query is not read), one without from the query; then ValidateDeleteOptions (422).
 */
export function deleteOptions(q: QueryValues, body: DeleteParams | undefined): RegistryDeleteOptions {
  const o = body ?? decodeDeleteOptions(q);
  const errs = validateDeleteOptions(o);
  if (errs.length) throw invalidOptions('DeleteOptions', META, '', errs);
  return toRegistryDelete(o);
}

// ---------------------------------------------------------------------------------------------
// TableOptions (any response converted to a Table)

export interface TableOptions {
  include: IncludeObject;
  /** NoHeaders, whose json tag is `-`: the parameter is literally `-`. */
  noHeaders: boolean;
}

/** optionsForTransform: Convert_url_Values_To_v1_TableOptions, then ValidateTableOptions, whose
 *  error is a 400 (`Unable to convert to Table as requested: ...`). "" means Metadata. */
export function tableOptions(q: QueryValues): TableOptions {
  const include = queryString(q, 'includeObject');
  if (!['', 'Metadata', 'None', 'Object'].includes(include)) {
    const e = fieldErr.invalid('includeObject', goStr(include), "must be 'Metadata', 'Object', 'None', or empty");
    throw badRequest(`Unable to convert to Table as requested: ${e.field}: ${e.body}`);
  }
  return { include: (include || 'Metadata') as IncludeObject, noHeaders: queryBool(q, '-') };
}

// ---------------------------------------------------------------------------------------------
// Connect subresources (exec, attach, portforward, proxy)

/** ConnectResource: any `dryRun` parameter is refused before anything else. */
export function rejectConnectDryRun(q: QueryValues): void {
  if (q.get('dryRun')?.length) throw badRequest('dryRun is not supported');
}

export interface PodAttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  container: string;
}

export interface PodExecOptions extends PodAttachOptions {
  command: string[];
}

/** Convert_url_Values_To_v1_PodAttachOptions. */
export function decodePodAttachOptions(q: QueryValues): PodAttachOptions {
  return {
    stdin: queryBool(q, 'stdin'),
    stdout: queryBool(q, 'stdout'),
    stderr: queryBool(q, 'stderr'),
    tty: queryBool(q, 'tty'),
    container: queryString(q, 'container'),
  };
}

/** Convert_url_Values_To_v1_PodExecOptions (`command` repeated, in order). */
export function decodePodExecOptions(q: QueryValues): PodExecOptions {
  return { ...decodePodAttachOptions(q), command: querySlice(q, 'command') ?? [] };
}

/**
 * The kubelet's remotecommand NewOptions on the flags the apiserver forwards ("1" for each true
 * one): a tty takes stderr's place; at least one stream is required.
 */
export function remoteCommandStreams(o: PodAttachOptions): { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean } {
  const s = { stdin: o.stdin, stdout: o.stdout, stderr: o.stderr && !o.tty, tty: o.tty };
  if (!s.stdin && !s.stdout && !s.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return s;
}

/** Convert_Slice_string_To_Slice_int32 for PodPortForwardOptions.Ports: every value, split at
 *  commas, each strconv.ParseUint(v, 10, 16). */
export function decodePodPortForwardOptions(q: QueryValues): { ports: number[] } {
  const ports: number[] = [];
  for (const v of q.get('ports') ?? []) {
    for (const part of v.split(',')) {
      try {
        ports.push(Number(goParseUint(part, 16)));
      } catch (e) {
        throw badRequest(`cannot convert to []int32: ${(e as Error).message}`);
      }
    }
  }
  return { ports };
}

/** What a WebSocket port-forward gets: the apiserver's decoding, then the kubelet's checks on
 *  the `port` value the apiserver builds from it (400 either way). */
export function portForwardWebSocketPorts(q: QueryValues): number[] {
  const { ports } = decodePodPortForwardOptions(q);
  try {
    return parsePortForwardPorts(ports.length ? [ports.join(',')] : []);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
}

// ---------------------------------------------------------------------------------------------
// PodLogOptions (pods/log)

export interface PodLogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  sinceSeconds?: bigint;
  /** Unix ms; GO_ZERO_TIME_MS for "" or "null". */
  sinceTime?: number;
  timestamps: boolean;
  tailLines?: bigint;
  limitBytes?: bigint;
  insecureSkipTLSVerifyBackend: boolean;
  stream?: string;
}

/** Convert_url_Values_To_v1_PodLogOptions (k8s.io/kubernetes pkg/apis/core/v1). */
export function decodePodLogOptions(q: QueryValues): PodLogOptions {
  const o: PodLogOptions = {
    container: queryString(q, 'container'),
    follow: queryBool(q, 'follow'),
    previous: queryBool(q, 'previous'),
    sinceSeconds: queryPtrInt64(q, 'sinceSeconds'),
    timestamps: false,
    insecureSkipTLSVerifyBackend: false,
  };
  const since = first(q, 'sinceTime');
  if (since !== undefined) {
    try {
      o.sinceTime = unmarshalTimeQueryParameter(since);
    } catch (e) {
      decodeFailed(e);
    }
  }
  o.timestamps = queryBool(q, 'timestamps');
  o.tailLines = queryPtrInt64(q, 'tailLines');
  o.limitBytes = queryPtrInt64(q, 'limitBytes');
  o.insecureSkipTLSVerifyBackend = queryBool(q, 'insecureSkipTLSVerifyBackend');
  const stream = first(q, 'stream');
  if (stream !== undefined) o.stream = stream;
  return o;
}

/** PodLogsQuerySplitStreams: alpha and off by default in v1.32. */
export const SPLIT_STREAMS_ENABLED = false;

/** ValidatePodLogOptions (pkg/apis/core/validation), with stream selection off. */
export function validatePodLogOptions(o: PodLogOptions, allowStreamSelection = SPLIT_STREAMS_ENABLED): FieldError[] {
  const errs: FieldError[] = [];
  if (o.tailLines !== undefined && o.tailLines < 0n)
    errs.push(fieldErr.invalid('tailLines', new GoLiteral(String(o.tailLines)), 'must be greater than or equal to 0'));
  if (o.limitBytes !== undefined && o.limitBytes < 1n)
    errs.push(fieldErr.invalid('limitBytes', new GoLiteral(String(o.limitBytes)), 'must be greater than 0'));
  if (o.sinceSeconds !== undefined && o.sinceTime !== undefined) {
    errs.push(fieldErr.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  } else if (o.sinceSeconds !== undefined && o.sinceSeconds < 1n) {
    errs.push(fieldErr.invalid('sinceSeconds', new GoLiteral(String(o.sinceSeconds)), 'must be greater than 0'));
  }
  if (allowStreamSelection) {
    if (o.stream === undefined) errs.push(fieldErr.required('stream', 'must be specified'));
    else {
      if (!['All', 'Stderr', 'Stdout'].includes(o.stream))
        errs.push(fieldErr.notSupported('stream', goStr(o.stream), ['All', 'Stderr', 'Stdout']));
      if (o.stream !== 'All' && o.tailLines !== undefined)
        errs.push(fieldErr.forbidden('', '`tailLines` and specific `stream` are mutually exclusive for now'));
    }
  } else if (o.stream !== undefined) errs.push(fieldErr.forbidden('stream', 'may not be specified'));
  return errs;
}

/** GetResourceWithOptions + LogREST.Get: decode (400), then validate (422 on PodLogOptions NAME). */
export function podLogOptions(q: QueryValues, podName: string): PodLogOptions {
  const o = decodePodLogOptions(q);
  const errs = validatePodLogOptions(o);
  if (errs.length) throw invalidOptions('PodLogOptions', '', podName, errs);
  return o;
}

/**
 * Where the kubelet starts reading (kuberuntime NewLogOptions): now − sinceSeconds (Duration
 * arithmetic, wrapping), or sinceTime as LogLocation forwards it (RFC3339, whole seconds) when
 * later. Undefined: from the start.
 */
export function logSince(o: Pick<PodLogOptions, 'sinceSeconds' | 'sinceTime'>, nowMs: number): Date | undefined {
  let since = GO_ZERO_TIME_MS;
  if (o.sinceSeconds !== undefined) since = nowMs + Number(goDurationNs(-o.sinceSeconds, 1_000_000_000n) / 1_000_000n);
  if (o.sinceTime !== undefined) {
    const t = Math.floor(o.sinceTime / 1000) * 1000;
    if (t > since) since = t;
  }
  return since === GO_ZERO_TIME_MS ? undefined : new Date(since);
}
