// Which Hub endpoints the built page may reach. A page's Content-Security-Policy is fixed when
// it is built, while the endpoint is a setting: so the build names the endpoints
// (VITE_HF_ENDPOINT, comma-separated, default https://huggingface.co; the first is the page's
// default), the CSP's connect-src allows exactly those (plus their download hosts: the Hub
// redirects LFS files to *.huggingface.co / *.hf.co; VITE_HF_CDN overrides, "none" for none),
// and the page and its worker refuse any other endpoint with a message saying how to rebuild.
// Imported by vite.config.ts: keep it free of other imports.

export const HUB_DEFAULT_ENDPOINT = 'https://huggingface.co';
const HUB_CDN_SOURCES = ['https://*.huggingface.co', 'https://*.hf.co'];

function origin(text: string): string {
  const url = new URL(text.trim());
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`VITE_HF_ENDPOINT: ${text} is not an http(s) URL`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The endpoints the build allows, the default first. */
export function allowedHubEndpoints(env: string | undefined): string[] {
  const list = (env ?? '').split(/[\s,]+/).filter(Boolean).map(origin);
  return list.length ? [...new Set(list)] : [HUB_DEFAULT_ENDPOINT];
}

/** The CSP connect-src sources beyond 'self': the endpoints' origins and their download hosts. */
export function hubConnectSources(endpointsEnv: string | undefined, cdnEnv: string | undefined): string[] {
  const endpoints = allowedHubEndpoints(endpointsEnv);
  const origins = endpoints.map((e) => new URL(e).origin);
  const cdn = cdnEnv === undefined
    ? (origins.includes(HUB_DEFAULT_ENDPOINT) ? HUB_CDN_SOURCES : [])
    : cdnEnv.trim() === 'none' ? [] : cdnEnv.split(/[\s,]+/).filter(Boolean);
  return [...new Set([...origins, ...cdn])];
}

/** Does a CSP source (`https://host`, `https://*.host`, `http://host:port`) allow this URL? */
export function sourceAllows(source: string, url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const m = /^(https?):\/\/(\*\.)?([^/:]+)(?::(\d+))?$/.exec(source);
  if (!m) return false;
  const [, scheme, wildcard, host, port] = m;
  if (u.protocol !== `${scheme}:`) return false;
  if ((u.port || (scheme === 'https' ? '443' : '80')) !== (port ?? (scheme === 'https' ? '443' : '80'))) return false;
  return wildcard ? u.hostname.endsWith(`.${host}`) : u.hostname === host;
}

/** null when the URL is allowed by the sources, else the reason. */
export function refuseUnlessAllowed(sources: string[], url: string): string | null {
  if (sources.some((s) => sourceAllows(s, url))) return null;
  return `this page's Content-Security-Policy allows connections to ${sources.join(', ')} only; to use ${new URL(url).origin}, build the page with VITE_HF_ENDPOINT=${new URL(url).origin} (see the README)`;
}
