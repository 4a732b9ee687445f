// Package diagrams draws one architecture figure per hands-on from the synthesized app
// (the CloudFormation templates of the cloud assembly), writes it as Graphviz DOT, and
// renders it as a self-contained SVG with the AWS Architecture Icons. `make diagrams`
// regenerates docs/diagrams; a test fails when a committed figure no longer matches
// what the app synthesizes (see Check).
//
// Why not cdk-dia. The CDK ecosystem's diagram tool, the npm package cdk-dia (0.12.3,
// MIT), works here: offline, on Node 20, with aws-cdk-lib 2.276's tree.json, its icons
// shipped in the package. But it draws the construct tree, not what a learner deploys:
// every route table, route, gateway attachment, role and each of the nine SSM
// parameters is a box of its own, edges mean "references" rather than "talks to",
// there is no learner's computer, the internet gateway has no icon (nor has AWS
// Batch), and a PNG of one stack is 0.4-0.9 MB (4.4 MB for the app). Its
// customisation (decorators) works only from TypeScript constructs, and it pulls in
// a second aws-cdk-lib (about 200 MB of node_modules). This package is the small
// generator the brief allows instead: it reads the templates, keeps what a learner
// sees (network boxes, compute, data, the alarm and the auto-delete handler that
// explain the stack's behaviour), and turns CDK's wiring into labelled edges (an IAM
// policy becomes "reads, writes" from the code holding the role to the resource; a
// route to the internet gateway becomes the path out of the subnet).
//
// Icons: the npm package aws-icons (MIT; pinned in package.json) ships the AWS
// Architecture Icons as SVG. AWS lets customers use these icons to draw architecture
// diagrams (https://aws.amazon.com/architecture/icons/); the SVGs are inlined into
// each figure so that a README shows it without loading other files.
//
// What the templates cannot say — who uses the stack from the learner's machine, and
// in which order — is written once per hands-on in HandsOns; each such link must
// land on a resource the app synthesizes, or the build fails.
package diagrams
