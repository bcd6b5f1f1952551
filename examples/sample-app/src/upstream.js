'use strict';
// Upstream factory. With USE_REAL_APIS set, the production proxy dials the
// realtime API; in this offline sample that is replaced by the scripted
// upstream replaying the event order recorded from the real API.
const { FakeUpstream } = require('./fake-upstream');

function useRealAPIs() {
  return Boolean(process.env.USE_REAL_APIS);
}

function connectUpstream(options = {}) {
  return new FakeUpstream({ order: useRealAPIs() ? 'real' : 'mock', ...options });
}

module.exports = { connectUpstream, useRealAPIs };
