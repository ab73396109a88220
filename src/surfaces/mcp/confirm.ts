import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Action, ActionContext } from '../../actions/action';
import type { Principal } from '../../auth/principal';
import { log } from '../../http/log';
import { type RequestBinding, type RequestStateCodec, RequestStateError } from '../../tokens/request-state';

/**
 * Asking the person before a destructive tool runs (2026-07-28 multi-round-trip requests): the first
 * call answers `input_required` with a form elicitation naming what will be lost and a `requestState`
 * bound to this principal, tool and arguments; the retry carries the answer and the state back. The
 * action runs only on an accepted "yes" that arrives with a valid state minted for the same question.
 *
 * Only clients that declared form elicitation in this request's `_meta` are asked (the specification
 * forbids input requests of undeclared kinds); every other client, and every 2025-era request (which
 * has no channel for it without sessions, see docs/protocol.md), keeps running the action directly.
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/patterns/mrtr
 */

/** The key of our one input request; the client answers under the same key. */
export const CONFIRM_KEY = 'confirm';

const answerSchema = z.object({ confirm: z.boolean() });
const statePayload = z.object({ fingerprint: z.string() });

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether a request's `_meta` envelope declares client capabilities covering a form-mode elicitation. */
export function declaresFormElicitation(envelope: unknown): boolean {
  const capabilities = isRecord(envelope) ? envelope[CLIENT_CAPABILITIES_META_KEY] : undefined;
  const elicitation = isRecord(capabilities) ? capabilities.elicitation : undefined;
  if (!isRecord(elicitation)) return false;
  // An empty elicitation capability means form mode (the capability predates the two modes).
  return elicitation.form !== undefined || elicitation.url === undefined;
}

export function principalKey(principal: Principal): string {
  return [principal.kind, principal.userId, principal.clientId ?? '', principal.credentialId].join(':');
}

export interface ConfirmScope {
  principal: Principal;
  ctx: ActionContext;
  codec: RequestStateCodec;
  requestId: string;
}

export type ConfirmOutcome =
  | { kind: 'proceed' }
  | { kind: 'ask'; result: InputRequiredResult }
  | { kind: 'declined'; result: CallToolResult };

/**
 * Decides whether `action` may run now. Throws what the action's own checks throw (`AppError`), and a
 * `-32602` ProtocolError for a `requestState` that is not ours, expired, or minted for another
 * principal or request.
 */
export async function confirmBeforeRunning(
  action: Action,
  args: Record<string, unknown>,
  mcpReq: ServerContext['mcpReq'],
  scope: ConfirmScope,
): Promise<ConfirmOutcome> {
  if (!declaresFormElicitation(mcpReq.envelope) || !action.hasConfirmation) return { kind: 'proceed' };
  const binding: RequestBinding = {
    principal: principalKey(scope.principal),
    method: 'tools/call',
    name: action.name,
    params: args,
  };
  // The state is checked before anything else, so a forged or replayed one learns nothing of our data.
  const state = mcpReq.requestState();
  const payload = state === undefined ? undefined : await openState(state, binding, scope);
  const confirmation = await action.confirmation(scope.principal, args, scope.ctx);
  if (!confirmation) return { kind: 'proceed' };

  if (payload) {
    const answer = inputResponse(mcpReq.inputResponses, CONFIRM_KEY);
    if (answer.kind === 'elicit' && answer.action !== 'accept') return declined(action);
    if (answer.kind === 'elicit') {
      const content = answerSchema.safeParse(answer.content);
      if (content.success && !content.data.confirm) return declined(action);
      // A yes counts only for the question that was asked; if the project changed since, ask again.
      if (content.success && payload.fingerprint === confirmation.fingerprint) return { kind: 'proceed' };
    }
    // Missing or malformed answers are asked for again, as the MRTR error-handling rules suggest.
  }

  return {
    kind: 'ask',
    result: inputRequired({
      inputRequests: {
        [CONFIRM_KEY]: inputRequired.elicit({
          message: confirmation.question,
          requestedSchema: {
            type: 'object',
            properties: {
              confirm: { type: 'boolean', title: 'Yes, delete it', description: confirmation.question },
            },
            required: ['confirm'],
          },
        }),
      },
      requestState: await scope.codec.mint({ fingerprint: confirmation.fingerprint }, binding, scope.ctx.now),
    }),
  };
}

async function openState(
  state: unknown,
  binding: RequestBinding,
  scope: ConfirmScope,
): Promise<z.infer<typeof statePayload>> {
  try {
    if (typeof state !== 'string') throw new RequestStateError('malformed');
    const parsed = statePayload.safeParse(await scope.codec.open(state, binding, scope.ctx.now));
    if (!parsed.success) throw new RequestStateError('malformed');
    return parsed.data;
  } catch (err) {
    if (!(err instanceof RequestStateError)) throw err;
    log('warn', 'mcp.request_state_refused', { requestId: scope.requestId, reason: err.code });
    // One answer for every reason, so a client learns nothing about why (the SDK's own wording).
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid or expired requestState', {
      reason: 'invalid_request_state',
    });
  }
}

function declined(action: Action): ConfirmOutcome {
  return {
    kind: 'declined',
    result: {
      isError: true,
      content: [
        { type: 'text', text: `Nothing was changed: the person did not confirm ${action.name}. (declined)` },
      ],
    },
  };
}
