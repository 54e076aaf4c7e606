// An echo backend: node backend.js ID HOST:PORT. Prints "listening ID HOST:PORT" once serving.
'use strict';
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const path = require('path');

const [id, address] = process.argv.slice(2);
const proto = grpc.loadPackageDefinition(loader.loadSync(path.join(__dirname, 'echo.proto'))).meshwork.interop;
const server = new grpc.Server();
server.addService(proto.Echo.service, {
  Call: (call, callback) => callback(null, { backend: id, message: call.request.message }),
});
server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) {
    console.error(`backend ${id}: ${error.message}`);
    process.exit(1);
  }
  console.log(`listening ${id} ${address}`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
