// Preloaded (node --require) before a CDK Node.js provider: the provider sends its answer
// to the event's ResponseURL with https.request({hostname, path, method}), without a
// port, since the real URL is S3's on 443. The test's stand-in for that URL listens on
// 127.0.0.1 at another port (LIFECYCLE_RESPONSE_PORT): only such requests get the port.
const https = require("https");
const request = https.request;
https.request = function (options, ...rest) {
  if (options && typeof options === "object" && options.hostname === "127.0.0.1" && !options.port) {
    options = { ...options, port: Number(process.env.LIFECYCLE_RESPONSE_PORT) };
  }
  return request.call(this, options, ...rest);
};
