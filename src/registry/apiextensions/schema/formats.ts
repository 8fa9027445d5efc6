// String formats. apiextensions keeps only the formats it supports in a CR's schema
// (StripUnsupportedFormatsPostProcess, names compared without '-'), so int32, int64, float, double and
// unknown names constrain nothing; the kept ones are checked by kube-openapi's strfmt registry.
// Of the supported formats, bsonobjectid, uri, email, isbn*, creditcard, ssn, rgbcolor and duration
// are accepted here without a check.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// strfmt's DateTimePattern, including its unescaped '.' before the fraction (any character passes).
const TIME = /^(\d{2}):(\d{2}):(\d{2})(.\d+)?(z|[+-]\d{2}:\d{2})$/;

function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d <= days;
}

function isDateTime(s: string): boolean {
  const lower = s.toLowerCase();
  const t = lower.indexOf('t');
  if (t < 0 || !isDate(lower.slice(0, t))) return false;
  const m = TIME.exec(lower.slice(t + 1));
  if (!m) return false;
  return Number(m[1]) < 24 && Number(m[2]) < 60 && Number(m[3]) < 60;
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  // Go's net.ParseIP refuses leading zeros (they once meant octal).
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIPv6(s: string): boolean {
  if (!s.includes(':')) return false;
  let body = s;
  let groups = 8;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    if (!isIPv4(s.slice(lastColon + 1))) return false;
    body = s.slice(0, lastColon + 1) + '0';
    groups = 7;
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const hex = (h: string) => (h === '' ? [] : h.split(':'));
  const parts = halves.flatMap(hex);
  if (!parts.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p))) return false;
  return halves.length === 2 ? parts.length < groups : parts.length === groups;
}

function isCIDR(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  if (isIPv4(ip)) return Number(bits) <= 32;
  return isIPv6(ip) && Number(bits) <= 128;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID3 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUIDV = (v: string) => new RegExp(`^[0-9a-f]{8}-?[0-9a-f]{4}-?${v}[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$`, 'i');
const HOSTNAME =
  /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const MAC = /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{2}[:-]){7}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/;

const CHECKS: Record<string, (s: string) => boolean> = {
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
  date: isDate,
  datetime: isDateTime,
  ipv4: isIPv4,
  ipv6: isIPv6,
  cidr: isCIDR,
  mac: (s) => MAC.test(s),
  hostname: (s) => s.length <= 255 && HOSTNAME.test(s) && s.split('.').every((label) => label.length <= 63),
  uuid: (s) => UUID.test(s),
  uuid3: (s) => UUID3.test(s),
  uuid4: (s) => UUIDV('4').test(s),
  uuid5: (s) => UUIDV('5').test(s),
  hexcolor: (s) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s),
};

const SUPPORTED = new Set([
  'bsonobjectid',
  'uri',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'mac',
  'uuid',
  'uuid3',
  'uuid4',
  'uuid5',
  'isbn',
  'isbn10',
  'isbn13',
  'creditcard',
  'ssn',
  'hexcolor',
  'rgbcolor',
  'byte',
  'password',
  'date',
  'duration',
  'datetime',
]);

/** The format a CR's schema keeps after apiextensions strips unsupported ones (undefined: none). */
export function effectiveFormat(format: string | undefined): string | undefined {
  return format && SUPPORTED.has(format.replace(/-/g, '')) ? format : undefined;
}

/** Whether `value` is valid for a kept `format`; formats without a check here accept everything. */
export function validatesFormat(format: string, value: string): boolean {
  const check = CHECKS[format.replace(/-/g, '')];
  return check ? check(value) : true;
}
