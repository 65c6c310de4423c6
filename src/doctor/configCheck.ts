import { DEFAULT_CHECK_TIMEOUT_MS, type DoctorCheck } from './DoctorCheck.js';
import { failureOf } from './runChecks.js';

/**
 * The configuration, loaded exactly as `run` loads it (the command did that before the checks).
 * When it does not load, the checks that need it are left out, and this line says so.
 */
export const configCheck: DoctorCheck = {
  name: 'config',
  needsConfig: false,
  timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
  timeoutAdvice: 'reading the config file hangs: check that it is a regular file',
  async run({ load, configFile, modelSet }) {
    if (!load.ok) {
      const failure = failureOf(load.error);
      return { ...failure, advice: `${failure.advice}; the checks that need the configuration were not run` };
    }
    const sources = [configFile ? `file ${configFile}` : 'no config file (built-in defaults)', ...(modelSet ? [`model set "${modelSet}"`] : [])];
    const detail = `${sources.join(', ')}; models in ${load.modelsDir}`;
    if (load.warnings.length === 0) return { status: 'ok', detail };
    const settings = load.warnings.map((w) => w.path).join(', ');
    return {
      status: 'warn',
      detail: `${detail}; the model set replaces ${load.warnings.length === 1 ? 'a value' : `${load.warnings.length} values`} of the file: ${settings}`,
      advice: 'remove them from the file, or run without --models to choose the models in the file',
    };
  },
};
