// Runs a CDK custom-resource provider written for Lambda's Node.js runtime, unchanged:
//
//	node run_node_handler.js ASSET_DIR EVENT_JSON
//
// The asset's index.js requires @aws-sdk/client-s3, which Lambda's runtime provides and
// the asset does not bundle; here it comes from testtools/node_modules (NODE_PATH).
// The AWS endpoint comes from AWS_ENDPOINT_URL.
const path = require("path");
const fs = require("fs");
const [assetDir, eventPath] = process.argv.slice(2);
const { handler } = require(path.resolve(assetDir, "index.js"));
const event = JSON.parse(fs.readFileSync(eventPath, "utf8"));
handler(event, { logStreamName: "2026/11/30/[$LATEST]lifecycle" }).then(
  () => {},
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
