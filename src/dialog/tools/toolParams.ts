import { DateTime } from 'luxon';
import type { GbnfJsonObjectSchema, GbnfJsonSchema } from 'node-llama-cpp';
import { z } from 'zod';

/**
 * One tool parameter, written once and seen twice: as the JSON schema the model is shown (and that
 * node-llama-cpp turns into a grammar, so it may only use what `GbnfJsonSchema` supports) and as
 * the zod schema that checks whatever arrives, grammar or not. Writing both from one place keeps
 * them from drifting apart.
 */
export interface ToolParam<T> {
  readonly json: GbnfJsonSchema;
  readonly zod: z.ZodType<T>;
}

/** Output type of a parameter. */
export type ParamValue<P> = P extends ToolParam<infer T> ? T : never;

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A local wall-clock reading in `zone`, or undefined when it does not exist there: luxon moves a
 * time in a spring-forward gap to after the gap, so the round trip tells a real time from a
 * shifted one.
 */
function localTime(value: string, format: string, zone: string): DateTime | undefined {
  const time = DateTime.fromFormat(value, format, { zone });
  return time.isValid && time.toFormat(format) === value ? time : undefined;
}

/** Parameter builders. Every string is bounded: a grammar without a bound lets a model write forever. */
export const param = {
  /** Free text, trimmed, 1..maxLength characters. */
  text(maxLength: number, description: string): ToolParam<string> {
    // No minLength in the schema: it would be documented to the model on every tool ("minimum length: 1") for nothing; zod refuses empty text.
    return { json: { type: 'string', maxLength, description }, zod: z.string().trim().min(1).max(maxLength) };
  },

  /** One of a fixed list (service ids, urgencies). */
  oneOf<const V extends readonly [string, ...string[]]>(values: V, description: string): ToolParam<V[number]> {
    return { json: { enum: values, description }, zod: z.enum(values as unknown as [V[number], ...V[number][]]) };
  },

  /** A calendar day `YYYY-MM-DD` in the site's zone; the value is its start. */
  date(zone: string, description: string): ToolParam<DateTime> {
    return {
      json: { type: 'string', format: 'date', description },
      zod: z
        .string()
        .regex(LOCAL_DATE, 'expected a date as YYYY-MM-DD')
        .transform((value, ctx) => {
          const day = localTime(value, 'yyyy-MM-dd', zone);
          if (day) return day.startOf('day');
          ctx.addIssue({ code: 'custom', message: `${value} is not a real date` });
          return z.NEVER;
        }),
    };
  },

  /**
   * A local time `YYYY-MM-DDTHH:MM` on the site's clock (no offset: the model need not know the
   * zone, and a visitor's "10:00" is the site's 10:00). Times that do not exist there (a DST gap)
   * are refused rather than moved.
   */
  localDateTime(zone: string, description: string): ToolParam<DateTime> {
    return {
      // The grammar cannot express a pattern; a fixed length keeps a model close to the form and zod checks the rest.
      json: { type: 'string', minLength: 16, maxLength: 16, description: `${description} (local time, YYYY-MM-DDTHH:MM)` },
      zod: z
        .string()
        .regex(LOCAL_DATE_TIME, 'expected a local time as YYYY-MM-DDTHH:MM, e.g. 2026-12-09T10:00')
        .transform((value, ctx) => {
          const time = localTime(value, "yyyy-MM-dd'T'HH:mm", zone);
          if (time) return time;
          ctx.addIssue({ code: 'custom', message: `${value} is not a real time in ${zone}` });
          return z.NEVER;
        }),
    };
  },

  /** May be left out or null (a grammar always writes every key, so "absent" arrives as null). */
  optional<T>(inner: ToolParam<T>): ToolParam<T | undefined> {
    const { description, ...rest } = inner.json as GbnfJsonSchema & { description?: string };
    return {
      json: { oneOf: [rest as GbnfJsonSchema, { type: 'null' }], ...(description === undefined ? {} : { description: `${description} (null if not given)` }) },
      zod: inner.zod.nullish().transform((value) => value ?? undefined),
    };
  },
};

/** The parameters of one tool: a closed object (unknown keys are refused, not ignored). */
export interface ToolParams<T> {
  readonly json: GbnfJsonObjectSchema;
  readonly zod: z.ZodType<T>;
}

export function paramsObject<const Shape extends Record<string, ToolParam<unknown>>>(shape: Shape): ToolParams<{ [K in keyof Shape]: ParamValue<Shape[K]> }> {
  const entries = Object.entries(shape);
  return {
    json: { type: 'object', properties: Object.fromEntries(entries.map(([key, value]) => [key, value.json])) as GbnfJsonObjectSchema['properties'] },
    zod: z.strictObject(Object.fromEntries(entries.map(([key, value]) => [key, value.zod]))) as unknown as z.ZodType<{ [K in keyof Shape]: ParamValue<Shape[K]> }>,
  };
}

/** "service: Invalid option…; start: expected a local time…" — for the model, which can correct itself. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'arguments'}: ${issue.message}`).join('; ');
}
