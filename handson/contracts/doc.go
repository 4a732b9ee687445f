// Package contracts is where every hands-on's contract lives: one Go package per
// hands-on (handson/contracts/<hands-on>), named after it, holding what its stack, the
// code that runs in AWS and its client must agree on. The naming scheme is the same in
// each: StackName; ParameterPrefix (/<StackName>/), the SSM parameter leaf names as
// Param* constants spelled in UPPER_SNAKE like the course's TABLE_NAME, Parameters()
// and ParameterName(leaf); then the hands-on's own names (item attributes, routes,
// file names).
//
// Why here: a contract imports nothing from this module outside itself, and it sits
// under handson/, beside the code that runs in AWS, so a container build context can
// take exactly handson/<hands-on>/ and handson/contracts/<hands-on>/ (the QA worker's
// image does) without internal/ or the CDK. internal/handsons, the CDK app and the
// clients import the contracts; never the other way round.
package contracts
