/**
 * Band-limited sample-rate conversion (Kaiser-windowed sinc, polyphase).
 *
 * Output sample n sits at input time n × fromRate / toRate, so the output is aligned with the input
 * (no delay) and the one-shot result has ceil(length × toRate / fromRate) samples. The low-pass
 * cutoff follows the lower of the two Nyquist frequencies, which is what keeps 44.1/48 kHz → 16 kHz
 * from folding 8–24 kHz content back into the speech band.
 */

/**
 * Zero crossings of the sinc on each side, counted at the lower of the two rates. With the β and
 * cutoff below, 48 kHz → 16 kHz passes 0–7.25 kHz flat (7.5 kHz: -0.1 dB) and everything from
 * 8.5 kHz up, which would fold back below 7.5 kHz, is at least 68 dB down. Measured, not guessed:
 * widening the filter buys little for ASR and costs the Pi CPU on every captured sample.
 */
const ZERO_CROSSINGS = 32;
/** Kaiser β: trades stopband depth (larger) against transition width (smaller). */
const KAISER_BETA = 6.5;
/**
 * Cutoff as a fraction of the lower Nyquist frequency. A hair under 1 centres the transition band
 * just below Nyquist, so the little that still aliases lands in the top ~500 Hz, where speech
 * carries almost no energy.
 */
const CUTOFF = 0.99;
/** Above this many table entries, rate pairs with awkward ratios use an interpolated table instead. */
const MAX_EXACT_TABLE = 1 << 18;
/** Rows of the interpolated table (linear interpolation between rows keeps the error ~ -100 dB). */
const INTERPOLATED_PHASES = 512;

interface Kernel {
  /** Output rate / input rate reduced to lowest terms: L outputs for every M inputs. */
  up: number;
  down: number;
  /** Whole and fractional input advance per output sample (down = stepInt × up + stepFrac). */
  stepInt: number;
  stepFrac: number;
  /** Taps per output sample; the taps read input i0 - half + 1 … i0 + half. */
  taps: number;
  half: number;
  /** Coefficient rows, `taps` each: one per phase (exact) or INTERPOLATED_PHASES + 1 rows. */
  table: Float32Array;
  exact: boolean;
}

const kernels = new Map<string, Kernel>();

/**
 * Resamples a whole signal in one go. Returns a copy when the rates are equal. Equivalent to
 * feeding the signal to a {@link StreamingResampler} in any chunks and appending `flush()`.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  const resampler = new StreamingResampler(fromRate, toRate);
  const head = resampler.process(input);
  const tail = resampler.flush();
  if (tail.length === 0) return head;
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/**
 * Resampler for audio that arrives in chunks (a live microphone). Keeps the filter's history
 * between calls, so the concatenated outputs of `process()` followed by `flush()` are identical,
 * sample for sample, to {@link resample} on the whole signal, whatever the chunk sizes.
 *
 * Output lags input by the filter's half length (ZERO_CROSSINGS samples at the lower rate, 2 ms at
 * 16 kHz): `process()` only emits samples whose whole filter window has arrived.
 */
export class StreamingResampler {
  readonly fromRate: number;
  readonly toRate: number;
  private readonly kernel: Kernel | undefined;
  /** Input samples from absolute index `bufStart` on (negative indices are the zero lead-in). */
  private buf = new Float32Array(0);
  private bufLen = 0;
  private bufStart = 0;
  /** Real input samples received since the start or the last flush. */
  private received = 0;
  /** Next output's input position: i0 + phase / up. */
  private i0 = 0;
  private phase = 0;

  constructor(fromRate: number, toRate: number) {
    checkRate(fromRate, 'fromRate');
    checkRate(toRate, 'toRate');
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.kernel = fromRate === toRate ? undefined : kernelFor(fromRate, toRate);
    this.reset();
  }

  /** Input samples the filter needs beyond an output's position before it can emit that output. */
  get lookahead(): number {
    return this.kernel?.half ?? 0;
  }

  /** Pushes the next chunk of input; returns every output sample that is now complete. */
  process(chunk: Float32Array): Float32Array {
    const k = this.kernel;
    if (k === undefined) return chunk.slice();
    this.append(chunk, chunk.length);
    this.received += chunk.length;
    return this.emit(this.received - k.half);
  }

  /**
   * Ends the stream: treats the input as followed by silence and returns the remaining outputs up
   * to the end of the input. The resampler is then reset for a new stream.
   */
  flush(): Float32Array {
    const k = this.kernel;
    if (k === undefined) return new Float32Array(0);
    this.append(undefined, k.half);
    const out = this.emit(this.received);
    this.reset();
    return out;
  }

  /** Forgets all history, as if newly constructed. */
  reset(): void {
    const lead = this.kernel === undefined ? 0 : this.kernel.half - 1;
    if (this.buf.length < lead) this.buf = new Float32Array(Math.max(lead, 1024));
    this.buf.fill(0, 0, lead);
    this.bufLen = lead;
    this.bufStart = -lead;
    this.received = 0;
    this.i0 = 0;
    this.phase = 0;
  }

  /** Appends `count` samples of `chunk`, or `count` zeros when `chunk` is undefined. */
  private append(chunk: Float32Array | undefined, count: number): void {
    const needed = this.bufLen + count;
    if (needed > this.buf.length) {
      const grown = new Float32Array(Math.max(needed, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.bufLen));
      this.buf = grown;
    }
    if (chunk === undefined) this.buf.fill(0, this.bufLen, needed);
    else this.buf.set(chunk, this.bufLen);
    this.bufLen = needed;
  }

  /** Computes every output whose position i0 is below `limit`, then drops input no longer needed. */
  private emit(limit: number): Float32Array {
    const k = this.kernel!;
    const { up, stepInt, stepFrac, taps, half, table, exact } = k;

    let count = 0;
    for (let i = this.i0, p = this.phase; i < limit; count++) {
      i += stepInt;
      p += stepFrac;
      if (p >= up) {
        p -= up;
        i++;
      }
    }
    const out = new Float32Array(count);
    const buf = this.buf;
    let i0 = this.i0;
    let phase = this.phase;
    const firstTapOffset = 1 - half - this.bufStart;

    for (let n = 0; n < count; n++) {
      const base = i0 + firstTapOffset;
      let acc = 0;
      if (exact) {
        // Four independent sums let the CPU overlap the multiply-adds; taps is always even.
        const row = phase * taps;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        let j = 0;
        for (; j + 3 < taps; j += 4) {
          a0 += buf[base + j]! * table[row + j]!;
          a1 += buf[base + j + 1]! * table[row + j + 1]!;
          a2 += buf[base + j + 2]! * table[row + j + 2]!;
          a3 += buf[base + j + 3]! * table[row + j + 3]!;
        }
        for (; j < taps; j++) a0 += buf[base + j]! * table[row + j]!;
        acc = a0 + a1 + (a2 + a3);
      } else {
        const pos = (phase / up) * INTERPOLATED_PHASES;
        const r0 = Math.floor(pos);
        const frac = pos - r0;
        const rowA = r0 * taps;
        const rowB = rowA + taps;
        for (let j = 0; j < taps; j++) {
          const a = table[rowA + j]!;
          acc += buf[base + j]! * (a + frac * (table[rowB + j]! - a));
        }
      }
      out[n] = acc;
      i0 += stepInt;
      phase += stepFrac;
      if (phase >= up) {
        phase -= up;
        i0++;
      }
    }
    this.i0 = i0;
    this.phase = phase;

    // Keep from the first tap of the next output on. The filter is always wider than one step,
    // so this never discards input that has not arrived yet.
    const drop = Math.min(i0 - half + 1 - this.bufStart, this.bufLen);
    if (drop > 0) {
      buf.copyWithin(0, drop, this.bufLen);
      this.bufLen -= drop;
      this.bufStart += drop;
    }
    return out;
  }
}

function checkRate(rate: number, what: string): void {
  if (!Number.isInteger(rate) || rate <= 0) {
    throw new RangeError(`resample: ${what} must be a positive integer number of Hz, got ${rate}`);
  }
}

/** Filter tables are pure functions of the rate pair; a live stream and a file share one. */
function kernelFor(fromRate: number, toRate: number): Kernel {
  const key = `${fromRate}:${toRate}`;
  let k = kernels.get(key);
  if (k === undefined) {
    k = buildKernel(fromRate, toRate);
    kernels.set(key, k);
  }
  return k;
}

function buildKernel(fromRate: number, toRate: number): Kernel {
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  // Filter in input-sample units: when downsampling, widen it and lower the cutoff by the ratio.
  const ratio = Math.min(1, toRate / fromRate);
  const cutoff = CUTOFF * ratio;
  // Window half-width in input samples; computed from integers so 48 kHz → 16 kHz gives exactly 96.
  const width = toRate < fromRate ? (ZERO_CROSSINGS * fromRate) / toRate : ZERO_CROSSINGS;
  const half = Math.ceil(width);
  const taps = 2 * half;
  const exact = up * taps <= MAX_EXACT_TABLE;
  const rows = exact ? up : INTERPOLATED_PHASES + 1;
  const table = new Float32Array(rows * taps);
  const i0Beta = besselI0(KAISER_BETA);

  for (let r = 0; r < rows; r++) {
    const frac = exact ? r / up : r / INTERPOLATED_PHASES;
    let sum = 0;
    const row = new Float64Array(taps);
    for (let j = 0; j < taps; j++) {
      const x = frac - (j - half + 1); // distance from the output position to this tap
      const u = x / width;
      if (Math.abs(u) >= 1) continue;
      const w = besselI0(KAISER_BETA * Math.sqrt(1 - u * u)) / i0Beta;
      const h = cutoff * sinc(cutoff * x) * w;
      row[j] = h;
      sum += h;
    }
    // Unity gain at DC for every phase, or a constant input would come out with a ripple.
    for (let j = 0; j < taps; j++) table[r * taps + j] = row[j]! / sum;
  }
  return { up, down, stepInt: Math.floor(down / up), stepFrac: down % up, taps, half, table, exact };
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for β < 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
