// @ts-check
'use strict';
// Smoke checks that need no API key.
const { test, expect } = require('@playwright/test');
const { FakeUpstream } = require('../../../src/fake-upstream');
const { createSession } = require('../../../src/test-client');
const { startBackend } = require('../backend');

test.describe('Proxy smoke', () => {
  test('partner backend health endpoint responds', async () => {
    const backend = await startBackend();
    try {
      const res = await fetch(`${backend.url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    } finally {
      await backend.close();
    }
  });

  test('proxy greets a new client with Welcome', async () => {
    const session = createSession({ connect: () => new FakeUpstream() });
    await expect(session.waitFor('Welcome')).resolves.toEqual({ type: 'Welcome' });
  });
});
