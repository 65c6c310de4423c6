import type { Command } from 'commander';
import { CommanderError, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { BenchCorpusError, DEFAULT_CORPUS_DIR, HESITANT_CORPUS_DIR, loadBenchCorpus } from '../bench/benchCorpus.js';
import { formatBenchTable } from '../bench/benchTable.js';
import { budgetFailureLines, checkBudget, loadBudget } from '../bench/budget.js';
import { renderHtmlReport } from '../bench/report/renderHtmlReport.js';
import { endpointingTable, summariseEndpointing, type EndpointingSummary } from '../bench/endpointingSummary.js';
import { askCorpus, runCorpusBench } from '../bench/runCorpusBench.js';
import { exampleSite } from '../config/exampleSite.js';
import type { KioskConfigInput } from '../config/schema.js';
import { KioskVoiceError } from '../errors.js';
import { createLogger } from '../logging/createLogger.js';
import { resolveRuntimeConfig } from './resolveRuntimeConfig.js';
import { writeReportFile } from './writeReportFile.js';

interface BenchCliOptions {
  corpus: string;
  turns: number;
  budget?: string;
  json?: string;
  html?: string;
  throughAlsa?: boolean;
  inputDevice?: string;
  outputDevice?: string;
  questionDevice?: string;
  config?: string;
  models?: string;
  modelsDir?: string;
  compareEndpointing?: boolean;
}

/** Exit codes: 0 the budget is met (or none given), 1 a budget limit is exceeded, 2 the bench could not run. */
export const BENCH_EXIT = { ok: 0, overBudget: 1, failed: 2 } as const;

function turnCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('a whole number from 1 to 1000');
  return n;
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('replay a corpus through the real pipeline: latency per stage (p50/p95/max), WER, engine speed, CPU heat, memory')
    .option('--corpus <dir>', `WAV files and a corpus.tsv of what each says (default: the packaged corpus, ${DEFAULT_CORPUS_DIR})`, DEFAULT_CORPUS_DIR)
    .option('-n, --turns <n>', 'questions to play: the corpus in order, repeated as needed', turnCount, 12)
    .option('--budget <file>', 'YAML or JSON limits per metric (scripts/bench/budgets/pi5.yaml); exit 1 when one is exceeded')
    .option('--json <out>', 'write the report as JSON')
    .option('--html <out>', 'write a self-contained HTML report (opens offline)')
    .option(
      '--compare-endpointing',
      `run the corpus twice, first with a fixed silence and no speculation (the baseline), then as configured, and print the end-of-turn figures side by side (default corpus: the hesitation corpus, ${HESITANT_CORPUS_DIR})`,
    )
    .option('--through-alsa', "ask the questions aloud: the kiosk listens on its capture device and answers on its playback device, and each question is played on --question-device")
    .option('--question-device <pcm>', 'with --through-alsa: the ALSA PCM the questions are played on (default: the playback device; it must take a second stream, e.g. dmix or PipeWire)')
    .option('--input-device <name>', 'capture device (overrides audio.capture.device)')
    .option('--output-device <name>', 'playback device (overrides audio.playback.device)')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('-m, --models <set>', 'model set from models/manifest.json (e.g. test, pi5)')
    .option('--models-dir <dir>', 'where the model files are')
    // Usage errors on one line, and exit 2 like every other failure: 1 means "over budget".
    .showHelpAfterError(false)
    .configureOutput({ outputError: (message, write) => write(`kiosk-voice bench: ${message.replace(/^error: /, '').trim()} — see \`kiosk-voice bench --help\`\n`) })
    .exitOverride((error) => {
      throw error.exitCode === 0 ? error : new CommanderError(BENCH_EXIT.failed, error.code, error.message);
    })
    .addHelpText(
      'after',
      '\nEach question is played in real time, with a second of silence before it, as a visitor would\n' +
        'ask it; then each engine is timed on its own (real-time factors, tokens/s). Figures are ms from\n' +
        'the end of speech. Exit: 0 ok, 1 over budget (each exceeded metric named on stderr), 2 failed.\n' +
        'From a laptop: scripts/bench.sh --host pi@kiosk.local (see its --help).',
    )
    .action(async (options: BenchCliOptions, command: Command) => {
      const { logLevel } = command.optsWithGlobals<{ logLevel?: string }>();
      try {
        // Read the budget and the corpus before loading any model: a typo fails in a second, not after the run.
        const budget = options.budget ? loadBudget(resolve(options.budget)) : undefined;
        const corpusDir = options.compareEndpointing && command.getOptionValueSource('corpus') === 'default' ? HESITANT_CORPUS_DIR : options.corpus;
        const corpus = await loadBenchCorpus(corpusDir);
        if (options.compareEndpointing && !corpus.entries.some((entry) => entry.kind !== undefined)) {
          throw new BenchCorpusError(`--compare-endpointing needs a corpus whose corpus.tsv gives each file a kind (complete or hesitant); ${corpus.dir} has none`, `use ${HESITANT_CORPUS_DIR}`);
        }
        const audio: KioskConfigInput['audio'] = {};
        if (options.inputDevice) audio.capture = { device: options.inputDevice };
        if (options.outputDevice) audio.playback = { device: options.outputDevice };
        const { config, modelsDir } = resolveRuntimeConfig({ ...options, logLevel, defaults: { logLevel: 'warn', ...(options.config ? {} : { site: exampleSite() }) } }, { audio });
        const logger = createLogger(config.logLevel);
        process.stderr.write(`bench: ${options.turns} turns from ${corpus.entries.length} files in ${corpus.dir} (about ${Math.ceil(options.turns * 4)} s, then each engine on its own)\n`);
        let done = 0;
        let baseline: EndpointingSummary | undefined;
        if (options.compareEndpointing) {
          if (config.turn.endpointing.backend === 'fixed') throw new BenchCorpusError('--compare-endpointing compares against turn.endpointing.backend: fixed, which is what this config uses', 'set turn.endpointing.backend to lexical or llm');
          process.stderr.write('bench: the baseline first — a fixed silence (vad.minSilenceSeconds), no speculation\n');
          const fixed = { ...config, turn: { ...config.turn, endpointing: { ...config.turn.endpointing, backend: 'fixed' as const, speculate: false } } };
          const asked = await askCorpus({
            config: fixed,
            modelsDir,
            logger,
            corpus,
            turns: options.turns,
            throughAlsa: options.throughAlsa ? { questionDevice: options.questionDevice ?? config.audio.playback.device } : undefined,
            onTurn: () => process.stderr.write(`bench: baseline turn ${++done}${process.stderr.isTTY ? '\r' : '\n'}`),
          });
          baseline = summariseEndpointing(asked.endpointing);
          done = 0;
          process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}bench: now with turn.endpointing.backend ${config.turn.endpointing.backend}${config.turn.endpointing.speculate ? ' and speculation' : ''}\n`);
        }
        const report = await runCorpusBench({
          config,
          modelsDir,
          logger,
          corpus,
          turns: options.turns,
          modelSet: options.models,
          throughAlsa: options.throughAlsa ? { questionDevice: options.questionDevice ?? config.audio.playback.device } : undefined,
          // One line rewritten in a terminal; a line per turn in a log (over SSH without a tty).
          onTurn: () => process.stderr.write(`bench: turn ${++done} of ${options.turns}${process.stderr.isTTY ? '\r' : '\n'}`),
        });
        if (process.stderr.isTTY) process.stderr.write('\n');
        if (baseline && report.endpointing) report.endpointing.baseline = baseline;
        if (budget) report.budget = checkBudget(report, budget);
        if (options.json) writeReportFile(options.json, `${JSON.stringify(report, null, 2)}\n`, 'JSON report', 'bench');
        if (options.html) writeReportFile(options.html, renderHtmlReport(report), 'HTML report', 'bench');
        process.stdout.write(`${formatBenchTable(report)}\n`);
        if (report.endpointing?.baseline) {
          const labels = { baseline: 'fixed silence', candidate: `${report.endpointing.backend}${report.endpointing.speculate ? ' + speculation' : ''}` };
          process.stdout.write(`\n${endpointingTable(report.endpointing.baseline, report.endpointing.summary, labels).join('\n')}\n`);
        }
        if (report.budget && !report.budget.passed) {
          for (const line of budgetFailureLines(report.budget)) process.stderr.write(`${line}\n`);
          process.exitCode = BENCH_EXIT.overBudget;
        }
      } catch (error) {
        // Not 1: that code says "over budget", and scripts/bench.sh tells the two apart.
        const line = error instanceof KioskVoiceError ? error.toUserLine() : error instanceof Error ? error.message : String(error);
        process.stderr.write(`kiosk-voice bench: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
        process.exitCode = BENCH_EXIT.failed;
      }
    });
}
