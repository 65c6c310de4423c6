import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadWavForPipeline } from '../audio/toPipelineAudio.js';
import { EXAMPLE_CONFIG_FILE, exampleSite } from '../config/exampleSite.js';
import { resolveStoragePath } from '../storage/resolveStoragePath.js';
import { createLogger } from '../logging/createLogger.js';
import type { FrontDeskEvent } from '../dialog/FrontDeskEvent.js';
import { MARK_ORDER, turnLatencies, type Turn } from '../turn/Turn.js';
import { runFileConversation } from '../app/runFileConversation.js';
import { endpointFacts } from '../telemetry/turnTelemetry.js';
import { resolveRuntimeConfig } from './resolveRuntimeConfig.js';

interface DemoOptions {
  input: string;
  output: string;
  config?: string;
  models?: string;
  modelsDir?: string;
  json?: boolean;
  realtime?: boolean;
}

const round = (ms: number) => (Number.isFinite(ms) ? Math.round(ms * 10) / 10 : null);

/** A turn as the JSON report shows it: marks in ms from the start of the audio. */
export function turnReport(turn: Turn, startedAt: number) {
  const marks: Record<string, number | null> = {};
  for (const name of MARK_ORDER) {
    const at = turn.marks[name];
    marks[name] = at === undefined ? null : round(at - startedAt);
  }
  // End-of-turn marks only where they happened (the `fixed` backend has neither).
  for (const name of ['endpointDecision', 'speculationStart'] as const) {
    const at = turn.marks[name];
    if (at !== undefined) marks[name] = round(at - startedAt);
  }
  const { glue, ...latency } = turnLatencies(turn);
  return {
    trigger: turn.trigger,
    transcript: turn.transcript,
    reply: turn.reply,
    path: turn.path,
    ...(turn.outcome && turn.outcome !== 'answered' ? { outcome: turn.outcome } : {}),
    ...(turn.speechSamples ? { speechSeconds: turn.speechSamples.map((s) => Math.round(s / 16) / 1000) } : {}),
    ...(turn.problem ? { problem: turn.problem } : {}),
    // The session's first reply starts with the disclosure ("I'm an automated assistant").
    ...(turn.marks.disclosed !== undefined ? { disclosedAt: round(turn.marks.disclosed - startedAt) } : {}),
    ...(turn.endpoint ? { endpoint: endpointFacts(turn.endpoint) } : {}),
    ...(turn.speculation ? { speculation: { ...turn.speculation, wastedMs: round(turn.speculation.wastedMs) } } : {}),
    marks,
    latencyMs: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, round(v)])),
    computeMs: { ...Object.fromEntries(Object.entries(turn.compute).map(([k, v]) => [k, round(v)])), glue: round(glue) },
  };
}

function describeTurn(index: number, turn: Turn): string {
  const l = turnLatencies(turn);
  const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : '–');
  return [
    `turn ${index}  heard: "${turn.transcript}"`,
    `        reply (${turn.path}): "${turn.reply.replace(/\s+/g, ' ')}"${turn.problem ? `  [${turn.problem}]` : ''}`,
    `        end of speech → ASR final ${ms(l.endOfSpeechToAsrFinal)} · → first token ${ms(l.asrFinalToLlmFirstToken)} · → TTS first audio ${ms(l.llmFirstTokenToTtsFirstAudio)} · end of speech → first audio ${ms(l.endOfSpeechToFirstAudio)}`,
    ...(turn.endpoint ? [`        end of turn: ${describeEndpoint(turn)}`] : []),
  ].join('\n');
}

/** "complete (question with object): 220 ms of silence; reply made at the pause (hit)". */
function describeEndpoint(turn: Turn): string {
  const endpoint = turn.endpoint!;
  const parts = [`${endpoint.verdict} (${endpoint.reason}): ${Math.round(endpoint.silenceMs)} ms of silence`];
  if (endpoint.resumedPauses > 0) parts.push(`went on after ${endpoint.resumedPauses} pause${endpoint.resumedPauses === 1 ? '' : 's'}`);
  const speculation = turn.speculation;
  if (speculation) {
    const outcomes = (['hits', 'misses', 'restarts', 'declined'] as const).filter((k) => speculation[k] > 0).map((k) => `${speculation[k]} ${k}`);
    parts.push(`replies made at pauses: ${outcomes.join(', ')}`);
  }
  return parts.join('; ');
}

function describeFrontDeskEvent(event: FrontDeskEvent): string {
  switch (event.type) {
    case 'appointment':
      return `appointment ${event.action} ${event.reference} (${event.serviceId}, ${event.startUtc})`;
    case 'handoff':
      return `handoff (${event.reason}, ${event.urgency}${event.staffAvailable ? '' : ', nobody on duty'}): ${event.summary}`;
    case 'lead':
      return `lead #${event.id} score ${event.score} → ${event.outcome}`;
    case 'message':
      return `message #${event.id} taken`;
    case 'knowledgeGap':
      return `not answered by the site's facts: "${event.question}"`;
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('answer the questions spoken in a WAV file; the spoken replies go to another WAV file')
    .requiredOption('-i, --input <wav>', 'recorded speech: any PCM WAV (8–32 bit int or float, any rate, any channels)')
    .option('-o, --output <wav>', 'where the spoken replies go', 'reply.wav')
    .option('-c, --config <file>', `YAML or JSON config file (default: the example site of ${EXAMPLE_CONFIG_FILE}, nothing stored)`)
    .option('-m, --models <set>', 'model set from models/manifest.json (`test` runs on the small CI models)')
    .option('--models-dir <dir>', 'where the model files are (default: config models.dir, "models")')
    .option('--json', 'print one JSON report on stdout (logs stay on stderr)')
    .option('--realtime', 'pace the file like a live microphone instead of running as fast as possible')
    .addHelpText(
      'after',
      '\nExample:\n  kiosk-voice demo --models test --input question.wav --output reply.wav\n' +
        '\nWithout --config the front desk is the example clinic (systemd/config.example.yaml) and bookings\n' +
        'last only for the run; a --config with storage.path keeps them in that database between runs.\n' +
        '\nLatencies are measured on the audio clock: "end of speech" is the last voiced sample, so the\n' +
        'figures mean the same with or without --realtime.',
    )
    .action(async (options: DemoOptions, command: Command) => {
      const { logLevel } = command.optsWithGlobals<{ logLevel?: string }>();
      // A person is reading the terminal: only warnings unless asked for more. Without a config
      // file the example clinic is the front desk, so there is something to talk to.
      const { config, modelsDir } = resolveRuntimeConfig({ ...options, logLevel, defaults: { logLevel: 'warn', ...(options.config ? {} : { site: exampleSite() }) } });
      // Nothing is kept between runs unless a config names a database (storage.path).
      const storagePath = config.storage.path === undefined ? ':memory:' : resolveStoragePath(config.storage);
      const logger = createLogger(config.logLevel);
      const { samples, source } = await loadWavForPipeline(options.input);
      logger.info({ input: options.input, ...source }, 'input loaded');
      let count = 0;
      const conversation = await runFileConversation({
        config,
        modelsDir,
        storagePath,
        logger,
        samples,
        realtime: options.realtime ?? false,
        onTurn: (turn) => {
          if (!options.json) process.stdout.write(`${describeTurn(++count, turn)}\n`);
        },
      });
      const output = resolve(options.output);
      await conversation.sink.save(output);
      if (options.json) {
        const report = {
          turns: conversation.turns.map((t) => turnReport(t, conversation.startedAt)),
          frontDesk: conversation.frontDesk,
          storage: storagePath,
          output,
          input: { path: resolve(options.input), ...source },
          loadMs: conversation.loadMs,
        };
        process.stdout.write(`${JSON.stringify(report)}\n`);
      } else {
        if (conversation.turns.length === 0) process.stdout.write('no speech found in the input\n');
        for (const { event } of conversation.frontDesk) process.stdout.write(`front desk: ${describeFrontDeskEvent(event)}\n`);
        process.stdout.write(`replies written to ${output}\n`);
      }
    });
}
