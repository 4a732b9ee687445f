// The baseline of make bench-synth: the smallest CDK app in plain JavaScript (one stack,
// one bucket), with the root's cdk.json context, so the ratio shows what the Go app
// adds to what any CDK app pays (the CLI, Node.js, loading aws-cdk-lib).
const cdk = require('aws-cdk-lib');
const s3 = require('aws-cdk-lib/aws-s3');

const app = new cdk.App();
const stack = new cdk.Stack(app, 'Baseline');
new s3.Bucket(stack, 'Bucket');
app.synth();
