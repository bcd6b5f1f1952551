'use strict';
// Integration tests for the proxy against the scripted upstream.
// The mock CI job runs this file without USE_REAL_APIS; the real-API job runs
// it with USE_REAL_APIS=1, which also enables the real-API probe below.
const { FakeUpstream } = require('../../src/fake-upstream');
const { connectUpstream, useRealAPIs } = require('../../src/upstream');
const { createSession, ORDER_STATUS_SETTINGS, ORDER_STATUS_REPLIES } = require('../../src/test-client');
const { recordTrace } = require('../trace');

const realAPIs = useRealAPIs();

/** Settings → user message → function call → FunctionCallResponse → spoken answer,
 *  with the client updating its prompt as soon as the agent audio finishes. */
function runFunctionCallFlow(connect) {
  const session = createSession({
    connect,
    onMessage(msg, client) {
      if (msg.type === 'FunctionCallRequest') {
        const [fn] = msg.functions;
        client.send({ type: 'FunctionCallResponse', id: fn.id, name: fn.name, content: '{"status":"shipped"}' });
      }
      if (msg.type === 'AgentAudioDone') {
        client.send({ type: 'UpdatePrompt', prompt: 'The order has shipped; offer tracking by SMS.' });
      }
    },
  });
  session.send(ORDER_STATUS_SETTINGS);
  session.send({ type: 'InjectUserMessage', content: 'Where is my order 4711?' });
  return session;
}

describe('OpenAI proxy integration', () => {
  it('forwards Settings to upstream', () => {
    const session = createSession({ connect: () => new FakeUpstream() });
    session.send(ORDER_STATUS_SETTINGS);

    const [update] = session.upstream.received;
    expect(update.type).toBe('session.update');
    expect(update.session.instructions).toMatch(/voice assistant/);
    expect(update.session.tools.map((t) => t.name)).toEqual(['get_order_status']);
    expect(session.types()).toEqual(['Welcome', 'SettingsApplied']);
  });

  it('reconnects after upstream close', () => {
    const session = createSession({ connect: () => new FakeUpstream() });
    session.send(ORDER_STATUS_SETTINGS);
    session.upstream.close(1006);

    expect(session.upstreams).toHaveLength(2);
    expect(session.upstream.received.map((e) => e.type)).toEqual(['session.update']);
    expect(session.types()).toEqual(['Welcome', 'SettingsApplied', 'SettingsApplied', 'Reconnected']);
  });

  it('does not reconnect after a normal close', () => {
    const session = createSession({ connect: () => new FakeUpstream() });
    session.upstream.close(1000);
    expect(session.upstreams).toHaveLength(1);
    expect(session.types()).toEqual(['Welcome', 'Closed']);
  });

  it('Issue #470: FunctionCallResponse is forwarded with the upstream call_id', () => {
    const session = runFunctionCallFlow(() => new FakeUpstream({ replies: ORDER_STATUS_REPLIES }));
    const request = session.received.find((m) => m.type === 'FunctionCallRequest');
    const output = session.upstream.received.find((e) => e.item && e.item.type === 'function_call_output');

    expect(request.functions[0].name).toBe('get_order_status');
    expect(output.item.call_id).toBe(request.functions[0].id);
  });

  it('Issue #462: no session.update after output_audio.done until output_text.done', () => {
    // Regression: replay the real API's finish order against the mock.
    const session = runFunctionCallFlow(() => new FakeUpstream({ order: 'real', replies: ORDER_STATUS_REPLIES }));
    const log = session.upstream.log;
    const audioDone = log.lastIndexOf('<- response.output_audio.done');
    const textDone = log.lastIndexOf('<- response.output_text.done');
    const promptUpdate = log.lastIndexOf('-> session.update');

    expect(audioDone).toBeGreaterThan(-1);
    expect(audioDone).toBeLessThan(textDone);
    expect(promptUpdate).toBeGreaterThan(textDone);
    expect(session.types()).not.toContain('Error');
    expect(session.types()).toContain('PromptUpdated');
  });

  it('Issue #462: function-call flow completes against the job\'s upstream (mock and real API)', () => {
    // The same flow in both CI jobs: against the mock upstream here, against the real API in the
    // real-API job. Its trace lets qualify compare the order of events in the two (mock drift).
    const trace = [];
    const session = runFunctionCallFlow(() => connectUpstream({ replies: ORDER_STATUS_REPLIES, trace }));
    // Which upstream answered: TRACKING.md asks for `real-api` in the real job (evidence).
    recordTrace(trace, { upstream: session.upstream.order === 'real' ? 'real-api' : 'mock' });

    const answer = session.received.find((m) => m.type === 'ConversationText');
    expect(answer.content).toContain('"status":"shipped"');
    expect(session.types()).toContain('PromptUpdated');
    expect(session.types()).not.toContain('Error');
  });

  (realAPIs ? it : it.skip)('Issue #462 real-API: audio.done before text.done does not clear responseInProgress (USE_REAL_APIS=1)', () => {
    // A probe of one path: Settings → user message → Settings (the prompt update the partner's
    // client sends on AgentAudioDone). No function call, no backend: not the partner's scenario.
    const trace = [];
    const seen = [];
    const session = createSession({
      connect: () => connectUpstream({ replies: ORDER_STATUS_REPLIES, trace }),
      onMessage(msg, client) {
        if (msg.type === 'AgentAudioDone') {
          seen.push(client.proxy.responseInProgress);
          client.send({ type: 'UpdatePrompt', prompt: 'Keep answers short.' });
        }
      },
    });
    session.send(ORDER_STATUS_SETTINGS);
    session.send({ type: 'InjectUserMessage', content: 'Hello' });
    recordTrace(trace);

    expect(session.upstream.order).toBe('real');
    expect(seen).toEqual([true]);
    expect(session.types()).toContain('PromptUpdated');
    expect(session.types()).not.toContain('Error');
  });
});
