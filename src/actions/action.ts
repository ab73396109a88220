import type { z } from 'zod';
import type { Principal } from '../auth/principal';
import { AppError } from '../http/errors';
import type { Scope } from '../oauth/scopes';

/** What a handler may use besides the principal and its input. */
export interface ActionContext {
  readonly db: D1Database;
  /** Seconds since the epoch, from the app's clock. */
  readonly now: number;
}

/** MCP tool annotations, also shown in the API reference. */
export interface ActionAnnotations {
  /** Changes nothing. */
  readOnly: boolean;
  /** May delete or overwrite something the user cannot get back. */
  destructive: boolean;
  /** Calling it twice with the same input has the same effect as once. */
  idempotent: boolean;
}

/** What a person is asked before a destructive action runs on a surface that can ask. */
export interface Confirmation {
  /** One sentence naming what will be lost, e.g. `Delete the project "Launch" and its 3 tasks?`. */
  question: string;
  /**
   * Changes whenever what would be lost changes, so a yes given to one question is never applied to
   * another (the project was renamed or gained tasks between the question and the answer).
   */
  fingerprint: string;
}

interface ActionSpec<I extends z.ZodObject, O extends z.ZodObject> {
  /** camelCase; the MCP tool name and the Action API path segment. */
  name: string;
  title: string;
  /** One or two sentences an LLM reads to choose the tool. */
  description: string;
  input: I;
  output: O;
  /** Tokens with any of these scopes may call it; a surface lists the action only if its scope is here. */
  scopes?: readonly Scope[];
  annotations: ActionAnnotations;
  /** Throws `AppError` (`not_found`, `limit_reached`, …) for anything the caller got wrong. */
  handler(principal: Principal, input: z.output<I>, ctx: ActionContext): Promise<z.input<O>>;
  /**
   * Destructive actions may name what they would destroy; a surface that can ask the person (MCP form
   * elicitation) asks first and runs only on an accepted answer. Throws like `handler` (`not_found`).
   */
  confirm?(principal: Principal, input: z.output<I>, ctx: ActionContext): Promise<Confirmation>;
}

/** An action as the surfaces see it: input is untrusted, output is a plain object. */
export interface Action {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly input: z.ZodObject;
  readonly output: z.ZodObject;
  readonly scopes: readonly Scope[];
  readonly annotations: Readonly<ActionAnnotations>;
  /**
   * Checks the caller's scope, parses `input` with the action's zod schema (400 `validation_failed`
   * with the failing fields) and runs the handler. The output is not re-validated at run time; the
   * registry tests check every action's output against its schema.
   */
  invoke(principal: Principal, input: unknown, ctx: ActionContext): Promise<Record<string, unknown>>;
  /** Whether the action asks before it runs (see `confirmation`). */
  readonly hasConfirmation: boolean;
  /** The question to ask before `invoke`, with the same scope and input checks; undefined: nothing to ask. */
  confirmation(principal: Principal, input: unknown, ctx: ActionContext): Promise<Confirmation | undefined>;
}

const ALL_SCOPES: readonly Scope[] = ['mcp', 'api'];

export function defineAction<I extends z.ZodObject, O extends z.ZodObject>(spec: ActionSpec<I, O>): Action {
  if (!/^[a-z][A-Za-z0-9]{1,63}$/.test(spec.name)) throw new TypeError(`bad action name ${spec.name}`);
  const scopes = spec.scopes ?? ALL_SCOPES;
  return Object.freeze({
    name: spec.name,
    title: spec.title,
    description: spec.description,
    input: spec.input,
    output: spec.output,
    scopes,
    annotations: Object.freeze({ ...spec.annotations }),
    hasConfirmation: spec.confirm !== undefined,
    async invoke(principal: Principal, input: unknown, ctx: ActionContext) {
      const output: Record<string, unknown> = await spec.handler(principal, checked(principal, input), ctx);
      return output;
    },
    async confirmation(principal: Principal, input: unknown, ctx: ActionContext) {
      if (!spec.confirm) return undefined;
      return spec.confirm(principal, checked(principal, input), ctx);
    },
  });

  function checked(principal: Principal, input: unknown): z.output<I> {
    if (!scopes.some((s) => principal.scopes.includes(s))) {
      throw new AppError('insufficient_scope', 'The access token does not allow this action.');
    }
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) throw validationError(parsed.error);
    return parsed.data;
  }
}

const MAX_REPORTED_ISSUES = 10;

/** 400 `validation_failed` naming the failing fields; zod's messages describe rules, not the input. */
export function validationError(error: z.ZodError): AppError {
  const fields = error.issues.slice(0, MAX_REPORTED_ISSUES).map((issue) => ({
    path: issue.path.map(String).join('.') || '(input)',
    message: issue.message,
  }));
  const summary = fields.map((f) => `${f.path}: ${f.message}`).join('; ');
  return new AppError('validation_failed', `The input is not valid. ${summary}`.slice(0, 1000), {
    details: { fields },
  });
}

export function notFound(what: 'project' | 'task' | 'project or task'): AppError {
  return new AppError('not_found', `No ${what} with that id in your workspace.`);
}

/** A valid token whose account was deleted (its revocation not yet seen here): the token is wrong. */
export function accountGone(): AppError {
  return new AppError('invalid_token', 'The account behind this token no longer exists.');
}
