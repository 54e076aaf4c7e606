// A proxyless gRPC client configured only by xDS:
//   node client.js TARGET CALLS [HEADER=VALUE]
// GRPC_XDS_BOOTSTRAP_CONFIG (set by the test) points it at meshd. Prints one JSON line:
// {"counts": {"v1": 160, "v2": 40}, "errors": 0, "firstError": null}
'use strict';
const grpc = require('@grpc/grpc-js');
const xds = require('@grpc/grpc-js-xds');
const loader = require('@grpc/proto-loader');
const path = require('path');

xds.register();
const [target, callsText, header] = process.argv.slice(2);
const calls = Number(callsText);
const proto = grpc.loadPackageDefinition(loader.loadSync(path.join(__dirname, 'echo.proto'))).meshwork.interop;
const client = new proto.Echo(target, grpc.credentials.createInsecure());
const metadata = new grpc.Metadata();
if (header) {
  const [name, value] = header.split('=');
  metadata.set(name, value);
}

const counts = {};
let errors = 0;
let firstError = null;

function call(i) {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + 10000);
    client.Call({ message: `call ${i}` }, metadata, { deadline }, (error, reply) => {
      if (error) {
        errors++;
        firstError = firstError || `${error.code} ${error.details}`;
      } else {
        counts[reply.backend] = (counts[reply.backend] || 0) + 1;
      }
      resolve();
    });
  });
}

(async () => {
  for (let i = 0; i < calls; i++) {
    await call(i);
  }
  console.log(JSON.stringify({ counts, errors, firstError }));
  client.close();
  process.exit(0);
})();
