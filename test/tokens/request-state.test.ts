import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  createRequestStateCodec,
  type RequestBinding,
  RequestStateError,
} from '../../src/tokens/request-state';

const key = new TextEncoder().encode('k'.repeat(32));
const otherKey = new TextEncoder().encode('o'.repeat(32));
const NOW = 1_800_000_000;
const binding: RequestBinding = {
  principal: 'oauth:usr_a:client:grt_1',
  method: 'tools/call',
  name: 'deleteProject',
  params: { projectId: 'prj_1' },
};

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RequestStateError) return err.code;
    throw err;
  }
  return 'accepted';
}

describe('requestState codec (MRTR, HMAC-SHA256, bound and short-lived)', () => {
  const codec = createRequestStateCodec(key, 600);

  it('opens what it minted, for the same binding, before it expires', async () => {
    const state = await codec.mint({ fingerprint: 'f1' }, binding, NOW);
    expect(await codec.open(state, binding, NOW + 599)).toEqual({ fingerprint: 'f1' });
    // Argument order does not matter: the digest is over canonical JSON.
    const reordered = { ...binding, params: JSON.parse('{"projectId":"prj_1"}') };
    expect(await codec.open(state, reordered, NOW)).toEqual({ fingerprint: 'f1' });
  });

  it('does not carry the binding in the clear', async () => {
    const state = await codec.mint({ fingerprint: 'f1' }, binding, NOW);
    const body = atob(state.split('.')[1]!.replaceAll('-', '+').replaceAll('_', '/'));
    expect(body).not.toContain('usr_a');
    expect(body).not.toContain('prj_1');
  });

  it('refuses an expired state', async () => {
    const state = await codec.mint({ fingerprint: 'f1' }, binding, NOW);
    expect(await refusal(codec.open(state, binding, NOW + 600))).toBe('expired');
  });

  it('refuses a state replayed by another principal, for another tool, method or arguments', async () => {
    const state = await codec.mint({ fingerprint: 'f1' }, binding, NOW);
    for (const other of [
      { ...binding, principal: 'oauth:usr_b:client:grt_2' },
      { ...binding, principal: 'oauth:usr_a:client:grt_2' },
      { ...binding, principal: 'pat:usr_a::pat_1' },
      { ...binding, name: 'deleteTask' },
      { ...binding, method: 'resources/read' },
      { ...binding, params: { projectId: 'prj_2' } },
      { ...binding, params: { projectId: 'prj_1', extra: true } },
    ]) {
      expect(await refusal(codec.open(state, other, NOW)), JSON.stringify(other)).toBe('wrong_binding');
    }
  });

  it('refuses a tampered state: every byte flipped, a re-signed body, another key, garbage', async () => {
    const state = await codec.mint({ fingerprint: 'f1' }, binding, NOW);
    for (let i = 3; i < state.length; i += 7) {
      const flipped = state.slice(0, i) + (state[i] === 'A' ? 'B' : 'A') + state.slice(i + 1);
      expect(['bad_signature', 'malformed']).toContain(await refusal(codec.open(flipped, binding, NOW)));
    }
    const [, body, mac] = state.split('.');
    const forgedBody = btoa(JSON.stringify({ p: { fingerprint: 'f1' }, exp: NOW + 99999, b: 'x' }))
      .replaceAll('=', '')
      .replaceAll('+', '-')
      .replaceAll('/', '_');
    expect(await refusal(codec.open(`v1.${forgedBody}.${mac}`, binding, NOW))).toBe('bad_signature');
    const foreign = await createRequestStateCodec(otherKey, 600).mint({ fingerprint: 'f1' }, binding, NOW);
    expect(await refusal(codec.open(foreign, binding, NOW))).toBe('bad_signature');
    for (const junk of [
      '',
      'v1.',
      'v1..',
      `v2.${body}.${mac}`,
      'x'.repeat(5000),
      `v1.${body}.*`,
      'v1.e30.e30',
    ]) {
      expect(['malformed', 'bad_signature']).toContain(await refusal(codec.open(junk, binding, NOW)));
    }
  });

  it('refuses weak keys and bad lifetimes at construction', () => {
    expect(() => createRequestStateCodec(new Uint8Array(31), 600)).toThrow(TypeError);
    expect(() => createRequestStateCodec(key, 0)).toThrow(TypeError);
  });

  it('hashes arguments canonically (key order, nesting, arrays kept in order)', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});
