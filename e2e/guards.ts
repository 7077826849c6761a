// Watches a page for what a trustworthy tool never does: requests to another origin, and
// Content-Security-Policy violations (inline or eval'd script, foreign resources).
import { expect, type Page } from '@playwright/test';

/** `allowHosts`: other hosts the test itself serves (the local Hub of e2e/hub.spec.ts). */
export async function watchPage(page: Page, o: { allowHosts?: string[] } = {}) {
  const foreign: string[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol === 'blob:' || url.protocol === 'data:') return;
    if (o.allowHosts?.includes(url.host)) return;
    if (url.host !== new URL(page.url() === 'about:blank' ? r.url() : page.url()).host) foreign.push(r.url());
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __cspViolations: string[] };
    w.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  return {
    async expectClean() {
      expect(foreign, 'requests to other origins').toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations), 'CSP violations').toEqual([]);
      const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-eval');
    },
  };
}
