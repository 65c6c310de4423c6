/**
 * The HTML bench report in a real browser (Debian Chromium, headless): its DOM, its console, what it
 * loads, and a screenshot kept in test-artifacts/ for a person to look at.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_STAGES } from '../../src/bench/BenchReport.js';
import { renderHtmlReport } from '../../src/bench/report/renderHtmlReport.js';
import { makeBenchReport } from '../helpers/benchReportFixture.js';
import { repoRoot } from '../helpers/sharedModels.js';

const CHROMIUM = '/usr/bin/chromium';
const TIMEOUT_MS = 60_000;
const SCREENSHOT = join(repoRoot, 'test-artifacts', 'bench-report.png');
const HOSTILE = '<script>alert(1)</script>';

/**
 * Headless and quiet on a closed network: without the background-networking flags Chromium makes
 * connections the network refuses. The log goes to stderr: every console message of the page
 * (`INFO:CONSOLE…`), and from the two modules named, each URL the browser requests or file it reads.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-logging=stderr',
  '--v=0',
  '--vmodule=network_delegate=1,file_url_loader_factory=1',
];

/** Hosts Chromium itself calls (clock, accounts, updates) even with background networking off; not the page's. */
const CHROMIUM_OWN_HOSTS = /(^|\.)(google\.com|googleapis\.com|gstatic\.com|gvt1\.com|gvt2\.com)$/;

interface ChromiumRun {
  stdout: string;
  stderr: string;
}

function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (it installs Debian Chromium, which the HTML bench report test needs)`);
  }
}

/** Runs Chromium on a page with its own profile; the whole process group is killed after TIMEOUT_MS. */
function runChromium(args: string[]): Promise<ChromiumRun> {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'kiosk-chromium-'));
  return new Promise<ChromiumRun>((resolve, reject) => {
    // Its own process group, so that the timeout also ends the renderer and GPU children.
    const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      if (timedOut) reject(new Error(`chromium ${args.join(' ')} did not finish in ${TIMEOUT_MS / 1000} s and was killed\n${stderr.slice(-2000)}`));
      else if (code !== 0) reject(new Error(`chromium ${args.join(' ')} exited with ${code ?? signal}\n${stderr.slice(-2000)}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** The page's console messages (errors, warnings, logs, uncaught exceptions) from Chromium's log. */
const consoleLines = (stderr: string) => stderr.split('\n').filter((line) => /:CONSOLE[:(\]]|Uncaught/.test(line));

/** Every URL the page made Chromium load: files read, and requests to hosts other than Chromium's own. */
function pageLoads(stderr: string): string[] {
  const files = [...stderr.matchAll(/FileURLLoader::Start: (\S+)/g)].map((m) => m[1]!);
  const requests = [...stderr.matchAll(/NotifyBeforeURLRequest: (\S+)/g)].map((m) => m[1]!).filter((url) => !CHROMIUM_OWN_HOSTS.test(new URL(url).hostname));
  return [...files, ...requests];
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('the HTML bench report in Chromium', () => {
  const report = makeBenchReport();
  // Turn 3 heard something hostile: it must reach the page as text.
  const hostileReport = { ...report, turns: report.turns.map((turn) => (turn.index === 3 ? { ...turn, transcript: HOSTILE } : turn)) };
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-bench-html-'));
  const page = join(dir, 'report.html');
  const pageUrl = pathToFileURL(page).href;
  let html = '';
  // Opened once, by the first test that needs it: without Chromium each test fails with the hint (a failed hook would only skip them).
  let opening: Promise<ChromiumRun> | undefined;
  const opened = () => (opening ??= runChromium(['--dump-dom', pageUrl]));

  beforeAll(() => {
    html = renderHtmlReport(hostileReport);
    writeFileSync(page, html);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has one waterfall row per turn, in turn order', async () => {
    const dom = (await opened()).stdout;
    expect(count(dom, 'class="waterfall-row"')).toBe(hostileReport.turns.length);
    expect([...dom.matchAll(/class="waterfall-row" data-turn="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(hostileReport.turns.map((turn) => turn.index));
  });

  it('draws the p50 and p95 bar of every stage and of the whole, and every stage of every turn in the waterfall', async () => {
    const dom = (await opened()).stdout;
    for (const name of [...BENCH_STAGES.map((stage) => stage.name), 'endOfSpeechToFirstAudio']) {
      for (const p of ['p50', 'p95']) expect(dom, `${name} ${p}`).toContain(`class="stage-bar" data-stage="${name}" data-percentile="${p}"`);
    }
    for (const stage of BENCH_STAGES) expect(count(dom, `class="stage-segment" data-stage="${stage.name}"`), stage.name).toBe(hostileReport.turns.length);
  });

  it('shows the hostile transcript as text and has no script element', async () => {
    const dom = (await opened()).stdout;
    expect(dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(dom).not.toMatch(/<script/i);
    expect(dom).toContain('<h1>kiosk-voice bench — Raspberry Pi 5 Model B Rev 1.0 — 2025-12-02T13:20:05.412Z</h1>');
  });

  it('logs nothing to the console', async () => {
    expect(consoleLines((await opened()).stderr)).toEqual([]);
  });

  it('loads nothing but itself, and references nothing remote', async () => {
    expect(pageLoads((await opened()).stderr)).toEqual([pageUrl]);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/https?:\/\//i);
  });

  it('renders a screenshot to test-artifacts/bench-report.png', async () => {
    mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
    rmSync(SCREENSHOT, { force: true });
    await runChromium([`--screenshot=${SCREENSHOT}`, '--window-size=1280,2000', pageUrl]);
    expect(existsSync(SCREENSHOT)).toBe(true);
    // A blank 1280×2000 PNG is a few kB; the report's text and charts make it far larger.
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
  });

  it('would see a page that logs, throws or loads something (the checks above are not blind)', async () => {
    const probe = join(dir, 'probe.html');
    writeFileSync(
      probe,
      `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="http://bench-report.invalid/x.css"></head>` +
        `<body><img src="missing.png"><script>console.error('probe error'); notDefined();</script></body></html>`,
    );
    const run = await runChromium(['--dump-dom', pathToFileURL(probe).href]);
    const lines = consoleLines(run.stderr);
    expect(lines.some((line) => line.includes('probe error'))).toBe(true);
    expect(lines.some((line) => line.includes('Uncaught ReferenceError'))).toBe(true);
    expect(pageLoads(run.stderr)).toEqual(expect.arrayContaining([pathToFileURL(join(dir, 'missing.png')).href, 'http://bench-report.invalid/x.css']));
  });
});
