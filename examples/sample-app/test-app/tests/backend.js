'use strict';
// Tiny partner backend on loopback: the HTTP endpoint the client calls to
// answer a FunctionCallRequest.
const http = require('node:http');

async function startBackend() {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const order = req.url.match(/^\/orders\/(\w+)$/);
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else if (order) {
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ order_id: order[1], status: 'shipped', carrier: 'DHL' }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

module.exports = { startBackend };
