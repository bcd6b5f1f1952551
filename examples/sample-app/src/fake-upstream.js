'use strict';
// Scripted stand-in for the realtime LLM API, used by every test in this
// sample project (the example data must be reproducible offline).
//
// The only thing that differs between "mock" and "real" is the order in which
// a spoken response finishes. The in-repo mock always finished the transcript
// first; the real API was observed (issue #462) to finish the audio first, so
// output_audio.done arrives while the response is still active.
const { EventEmitter } = require('node:events');

const FINISH_ORDERS = {
  mock: ['response.output_text.done', 'response.output_audio.done'],
  real: ['response.output_audio.done', 'response.output_text.done'],
};

class FakeUpstream extends EventEmitter {
  /**
   * @param {object} [opts]
   * @param {'mock'|'real'} [opts.order] finish order of a spoken response
   * @param {object} [opts.replies] user text -> { call: {name, arguments} } | { text }
   * @param {string[]} [opts.trace] where to append the wire log (a test's trace; see `trace`)
   */
  constructor({ order = 'mock', replies = {}, trace = [] } = {}) {
    super();
    if (!FINISH_ORDERS[order]) throw new Error(`unknown finish order: ${order}`);
    this.order = order;
    this.replies = replies; // user text -> { call: {name, arguments} } | { text }
    this.activeResponse = false;
    this.received = []; // every client event, in order
    this.emitted = []; // every server event, in order
    this.log = []; // both directions interleaved: '-> type' (to API), '<- type' (from API)
    // The wire log, one JSON event per line, as the proxy's upstream logging writes it:
    // '-> {...}' sent to the API, '<- {...}' received. Tests record it as their trace for qualify.
    this.trace = trace;
    this.closed = false;
    this.items = [];
    this.nextId = 1;
    // The API greets every new connection; the proxy has nothing to do with it.
    this.trace.push('<- {"type":"session.created"}');
  }

  send(event) {
    if (this.closed) throw new Error('upstream socket is closed');
    this.received.push(event);
    this.log.push(`-> ${event.type}`);
    this.trace.push(`-> ${JSON.stringify(event)}`);
    if ((event.type === 'response.create' || event.type === 'session.update') && this.activeResponse) {
      this._emit({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          code: 'conversation_already_has_active_response',
          message: `${event.type} rejected: conversation already has an active response`,
        },
      });
      return;
    }
    switch (event.type) {
      case 'session.update':
        this._emit({ type: 'session.updated', session: event.session });
        break;
      case 'conversation.item.create':
        this.items.push(event.item);
        this._emit({ type: 'conversation.item.created', item: event.item });
        break;
      case 'response.create':
        this._respond();
        break;
      default:
        this._emit({ type: 'error', error: { code: 'unknown_event', message: event.type } });
    }
  }

  close(code = 1000) {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', code);
  }

  _emit(event) {
    this.emitted.push(event);
    this.log.push(`<- ${event.type}`);
    this.trace.push(`<- ${JSON.stringify(event)}`);
    this.emit('message', event);
  }

  _respond() {
    const id = `resp_${this.nextId++}`;
    const last = this.items[this.items.length - 1] || {};
    this.activeResponse = true;
    this._emit({ type: 'response.created', response: { id } });

    const userText = last.type === 'message' ? last.content[0].text : null;
    const reply = (userText && this.replies[userText]) || {};
    if (reply.call) {
      const callId = `call_${this.nextId++}`;
      this.activeResponse = false;
      this._emit({
        type: 'response.function_call_arguments.done',
        response_id: id,
        call_id: callId,
        name: reply.call.name,
        arguments: JSON.stringify(reply.call.arguments),
      });
      this._emit({ type: 'response.done', response: { id, status: 'completed' } });
      return;
    }

    let text = reply.text || 'OK.';
    if (last.type === 'function_call_output') text = `Here is what I found: ${last.output}`;
    const finish = FINISH_ORDERS[this.order];
    for (const [i, type] of finish.entries()) {
      // The response stops being active when its last part finishes.
      if (i === finish.length - 1) this.activeResponse = false;
      this._emit(type === 'response.output_text.done'
        ? { type, response_id: id, text }
        : { type, response_id: id });
    }
    this._emit({ type: 'response.done', response: { id, status: 'completed' } });
  }
}

module.exports = { FakeUpstream, FINISH_ORDERS };
