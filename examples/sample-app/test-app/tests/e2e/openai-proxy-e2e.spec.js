// @ts-check
'use strict';
// Partner E2E scenarios. Node-only: the "client" is the in-process test
// client, the partner backend is a loopback HTTP server. Scenarios marked
// real-API only run when USE_REAL_APIS is set (the real-API CI job).
const fs = require('node:fs');
const { test, expect } = require('@playwright/test');
const { connectUpstream } = require('../../../src/upstream');
const { createSession, ORDER_STATUS_SETTINGS, ORDER_STATUS_REPLIES } = require('../../../src/test-client');
const { startBackend } = require('../backend');

test.describe('OpenAI proxy E2E', () => {
  /** @type {Awaited<ReturnType<typeof startBackend>>} */
  let backend;
  test.beforeAll(async () => { backend = await startBackend(); });
  test.afterAll(async () => { await backend.close(); });

  /** connect → Settings → user message → function call → backend HTTP → FunctionCallResponse → response */
  function partnerClient() {
    const failures = [];
    // The run's trace: the upstream wire log and the partner backend's calls, in the order they happen.
    const timeline = [];
    const session = createSession({
      connect: () => connectUpstream({ replies: ORDER_STATUS_REPLIES, trace: timeline }),
      onMessage(msg, client) {
        if (msg.type === 'FunctionCallRequest') {
          const [fn] = msg.functions;
          const { order_id: orderId } = JSON.parse(fn.arguments);
          fetch(`${backend.url}/orders/${orderId}`)
            .then((res) => {
              timeline.push(`GET /orders/${orderId} ${res.status}`);
              return res.text();
            })
            .then((body) => client.send({ type: 'FunctionCallResponse', id: fn.id, name: fn.name, content: body }))
            .catch((err) => failures.push(err));
        }
        if (msg.type === 'AgentAudioDone') {
          // The partner's client refreshes its prompt as soon as the agent stops talking.
          client.send({ type: 'UpdatePrompt', prompt: 'Offer SMS tracking for shipped orders.' });
        }
      },
    });
    return { session, failures, timeline };
  }

  /** Attach the run's trace: the junit reporter writes `[[ATTACHMENT|path]]`, which qualify reads. */
  async function attachTrace(timeline, testInfo) {
    const file = testInfo.outputPath('upstream.log');
    fs.writeFileSync(file, `${timeline.join('\n')}\n`);
    await testInfo.attach('upstream-log', { path: file, contentType: 'text/plain' });
    fs.rmSync(file); // attach() copied it under attachments/
  }

  test('1. connect: proxy sends Welcome', async () => {
    const { session } = partnerClient();
    expect((await session.waitFor('Welcome')).type).toBe('Welcome');
  });

  test('2. Settings are applied before the first user message', async () => {
    const { session } = partnerClient();
    session.send(ORDER_STATUS_SETTINGS);
    await session.waitFor('SettingsApplied');
    expect(session.upstream.received[0].session.tools[0].name).toBe('get_order_status');
  });

  (process.env.USE_REAL_APIS ? test : test.skip)('6a. Issue #470: FunctionCallRequest round-trip keeps the call_id', async () => {
    const { session, failures } = partnerClient();
    session.send(ORDER_STATUS_SETTINGS);
    session.send({ type: 'InjectUserMessage', content: 'Where is my order 4711?' });
    const request = await session.waitFor('FunctionCallRequest');
    await session.waitFor('ConversationText');
    const output = session.upstream.received.find((e) => e.item && e.item.type === 'function_call_output');
    expect(output.item.call_id).toBe(request.functions[0].id);
    expect(failures).toEqual([]);
  });

  test('6b. Issue #462 / #470: function-call flow completes without conversation_already_has_active_response (partner scenario)', async ({}, testInfo) => {
    test.skip(!process.env.USE_REAL_APIS, 'needs real API');
    const { session, failures, timeline } = partnerClient();
    session.send(ORDER_STATUS_SETTINGS);
    await session.waitFor('SettingsApplied');
    session.send({ type: 'InjectUserMessage', content: 'Where is my order 4711?' });

    const answer = await session.waitFor('ConversationText');
    await session.waitFor('PromptUpdated');
    await attachTrace(timeline, testInfo);

    expect(answer.content).toContain('"status":"shipped"');
    expect(backend.requests).toContain('GET /orders/4711');
    expect(session.received.filter((m) => m.type === 'Error')).toEqual([]);
    expect(failures).toEqual([]);
  });
});
