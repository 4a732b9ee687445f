// Package stacks defines one CloudFormation stack per hands-on of the course. A stack
// only composes constructs and wires outputs; main.go fills its props.
//
// Each NewXxxStack reads as its chapter: a short list of named steps (one small
// function each, named after what the course builds), then the stack's outputs, then
// suppressNag, the one place that records why each remaining cdk-nag finding of the
// stack is accepted.
//
// Conventions shared by every stack:
//   - Props may be nil; a zero field means "not given". Optional numbers are pointers
//     (*int): nil means the documented default, so 0 can mean zero (idle_stop_minutes=0
//     turns the auto-stop off). Optional strings: "" means the default.
//   - Files of the project (Docker build contexts, the web page, Go Lambda packages) are
//     named relative to the module root and found with project.Path, from the app at the
//     root as from a test in stacks/.
//   - Stack names are the constants of internal/handsons.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// propsOf returns *props, or the zero props when nil: every stack builds with defaults.
func propsOf[T any](props *T) T {
	if props == nil {
		var zero T
		return zero
	}
	return *props
}

// orDefault is *p, or def when p is nil.
func orDefault[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// orString is s, or def when s is empty.
func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// output adds a stack output whose logical id is exactly name, as the course's clients
// and the README refer to it by that name.
func output(stack awscdk.Stack, name string, value *string, description string) {
	awscdk.NewCfnOutput(stack, jsii.String(name), &awscdk.CfnOutputProps{
		Value:       value,
		Description: jsii.String(description),
	})
}

// nagReason is one accepted cdk-nag finding: the rule, why, and (optionally) which
// findings of the rule it covers.
type nagReason struct {
	rule      string
	reason    string
	appliesTo []any
}

// suppress records accepted findings on one construct; withChildren extends them to the
// construct's children that exist now (CDK's generated roles and policies).
func suppress(c cdkconstructs.IConstruct, withChildren bool, reasons ...nagReason) {
	list := make([]*cdknag.NagPackSuppression, len(reasons))
	for i, r := range reasons {
		list[i] = &cdknag.NagPackSuppression{Id: jsii.String(r.rule), Reason: jsii.String(r.reason)}
		if r.appliesTo != nil {
			applies := r.appliesTo
			list[i].AppliesTo = &applies
		}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &list, jsii.Bool(withChildren))
}
