'use strict';
// In-process client for the proxy, shared by the Jest and Playwright suites.
const { OpenAIProxy } = require('./proxy');

function createSession({ connect, onMessage } = {}) {
  const received = [];
  const upstreams = [];
  const waiters = [];
  let proxy = null;

  const client = {
    received,
    upstreams,
    get upstream() { return upstreams[upstreams.length - 1]; },
    get proxy() { return proxy; },
    send(msg) { proxy.onClientMessage(msg); },
    types() { return received.map((m) => m.type); },
    /** Resolves with the first message of `type` (already received or future). */
    waitFor(type, timeoutMs = 2000) {
      const seen = received.find((m) => m.type === type);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}; got ${client.types().join(', ')}`)), timeoutMs);
        waiters.push({ type, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      });
    },
  };

  proxy = new OpenAIProxy({
    connect: () => {
      const upstream = connect();
      upstreams.push(upstream);
      return upstream;
    },
    toClient: (msg) => {
      received.push(msg);
      for (const w of waiters.splice(0)) {
        if (w.type === msg.type) w.resolve(msg);
        else waiters.push(w);
      }
      if (onMessage && proxy) onMessage(msg, client);
    },
  });
  return client;
}

const ORDER_STATUS_SETTINGS = {
  type: 'Settings',
  audio: { input: { encoding: 'linear16', sample_rate: 24000 }, output: { encoding: 'linear16', sample_rate: 24000 } },
  agent: {
    think: {
      provider: { type: 'open_ai', model: 'gpt-realtime' },
      prompt: 'You are the voice assistant of an online shop. Be brief.',
      functions: [{
        name: 'get_order_status',
        description: 'Look up the delivery status of an order',
        parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
      }],
    },
  },
};

const ORDER_STATUS_REPLIES = {
  'Where is my order 4711?': { call: { name: 'get_order_status', arguments: { order_id: '4711' } } },
  'Hello': { text: 'Hi! How can I help?' },
};

module.exports = { createSession, ORDER_STATUS_SETTINGS, ORDER_STATUS_REPLIES };
