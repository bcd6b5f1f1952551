'use strict';
// Voice-agent proxy: translates the client protocol (Settings,
// InjectUserMessage, FunctionCallResponse, UpdatePrompt) into realtime-API
// events and back.

class OpenAIProxy {
  /**
   * @param {object} opts
   * @param {() => import('./fake-upstream').FakeUpstream} opts.connect  dials the upstream
   * @param {(msg: object) => void} opts.toClient  delivers a message to the client
   * @param {number} [opts.maxReconnects]
   */
  constructor({ connect, toClient, maxReconnects = 3 }) {
    this.connect = connect;
    this.toClient = toClient;
    this.maxReconnects = maxReconnects;
    this.reconnects = 0;
    this.settings = null;
    this.responseInProgress = false;
    this.finished = { text: false, audio: false };
    this.deferred = []; // session.update events held while a response is active
    this.acks = []; // client acknowledgement owed for each session.update sent
    this._attach(connect());
    this.toClient({ type: 'Welcome' });
  }

  _attach(upstream) {
    this.upstream = upstream;
    upstream.on('message', (event) => this._onUpstream(event));
    upstream.on('close', (code) => this._onClose(code));
  }

  _onClose(code) {
    if (code === 1000 || this.reconnects >= this.maxReconnects) {
      this.toClient({ type: 'Closed', code });
      return;
    }
    this.reconnects += 1;
    this.responseInProgress = false;
    this.deferred = [];
    this.acks = [];
    this._attach(this.connect());
    if (this.settings) this._sessionUpdate(this._sessionFromSettings(this.settings), 'SettingsApplied');
    this.toClient({ type: 'Reconnected', attempt: this.reconnects });
  }

  onClientMessage(msg) {
    switch (msg.type) {
      case 'Settings':
        this.settings = msg;
        this._sessionUpdate(this._sessionFromSettings(msg), 'SettingsApplied');
        break;
      case 'UpdatePrompt':
        this._sessionUpdate({ instructions: msg.prompt }, 'PromptUpdated');
        break;
      case 'InjectUserMessage':
        this.upstream.send({
          type: 'conversation.item.create',
          item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: msg.content }] },
        });
        this.upstream.send({ type: 'response.create' });
        break;
      case 'FunctionCallResponse':
        this.upstream.send({
          type: 'conversation.item.create',
          item: { type: 'function_call_output', call_id: msg.id, output: msg.content },
        });
        this.upstream.send({ type: 'response.create' });
        break;
      default:
        this.toClient({ type: 'Error', code: 'unsupported_message', description: msg.type });
    }
  }

  _sessionFromSettings(settings) {
    const think = (settings.agent && settings.agent.think) || {};
    return {
      instructions: think.prompt || '',
      tools: (think.functions || []).map((f) => ({
        type: 'function', name: f.name, description: f.description, parameters: f.parameters,
      })),
    };
  }

  _sessionUpdate(session, ack) {
    const event = { type: 'session.update', session };
    if (this.responseInProgress) {
      this.deferred.push({ event, ack });
      return;
    }
    this.acks.push(ack);
    this.upstream.send(event);
  }

  _onUpstream(event) {
    switch (event.type) {
      case 'session.updated':
        this.toClient({ type: this.acks.shift() || 'SettingsApplied' });
        break;
      case 'response.created':
        this.responseInProgress = true;
        this.finished = { text: false, audio: false };
        break;
      case 'response.function_call_arguments.done':
        this.toClient({
          type: 'FunctionCallRequest',
          functions: [{ id: event.call_id, name: event.name, arguments: event.arguments, client_side: true }],
        });
        break;
      case 'response.output_text.done':
        this.toClient({ type: 'ConversationText', role: 'assistant', content: event.text });
        this.finished.text = true;
        this._maybeFinish();
        break;
      case 'response.output_audio.done':
        this.toClient({ type: 'AgentAudioDone' });
        this.finished.audio = true;
        // Issue #462: audio can finish before the transcript does; the
        // response is only over once both parts are done.
        this._maybeFinish();
        break;
      case 'response.done':
        this._finishResponse();
        break;
      case 'error':
        this.toClient({ type: 'Error', code: event.error.code, description: event.error.message });
        break;
      default:
        break;
    }
  }

  _maybeFinish() {
    if (this.finished.text && this.finished.audio) this._finishResponse();
  }

  _finishResponse() {
    if (!this.responseInProgress) return;
    this.responseInProgress = false;
    const deferred = this.deferred;
    this.deferred = [];
    for (const { event, ack } of deferred) this._sessionUpdate(event.session, ack);
  }
}

module.exports = { OpenAIProxy };
