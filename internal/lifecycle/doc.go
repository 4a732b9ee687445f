// Package lifecycle holds only tests: for each hands-on stack, deploy the synthesized
// template on moto, use it as the hands-on does, run every CDK custom resource's real
// handler (from cdk.out's assets) for Create and Delete as CloudFormation would, delete
// the stack, and check with `leftovers` that nothing is left. See lifecycle_test.go.
package lifecycle
