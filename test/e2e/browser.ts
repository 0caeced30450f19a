/**
 * Shared helpers of the end-to-end tests: Debian's chromium through playwright-core (headless,
 * a fresh profile), the explorer built with Vite into a temporary folder, console-error
 * collection, and canvas pixel reads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const haveChromium = fs.existsSync(CHROMIUM);

/** Headless chromium with a fresh user-data-dir inside `tmp`. */
export function launch(tmp: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Builds the explorer (web/) with Vite into `outDir`. */
export async function buildExplorer(outDir: string): Promise<void> {
  await build({ configFile: path.join(ROOT, 'vite.config.ts'), root: path.join(ROOT, 'web'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

/** Records console errors, uncaught exceptions and failed requests of a page into `problems`. */
export function watch(p: Page, problems: string[]): void {
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('requestfailed', (r) => {
    // a download's blob: URL is revoked after use; that is not a failure of the page
    if (!r.url().startsWith('blob:')) problems.push(`request failed: ${r.url()}`);
  });
}

/** Waits until the page's model queue is empty. */
export const idle = (p: Page): Promise<void> => p.evaluate(() => (window as unknown as { explorer: { idle(): Promise<void> } }).explorer.idle());

/** The RGBA pixels of a canvas. */
export const pixels = (p: Page, selector: string): Promise<number[]> =>
  p.$eval(selector, (c) => {
    const cv = c as HTMLCanvasElement;
    return Array.from(cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data);
  });

/** Mean absolute difference of two equally long pixel arrays (0–255). */
export function meanAbsDiff(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`pixel arrays differ in length: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}
