package testenv

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// CreateStack creates a CloudFormation stack in moto that has the given outputs (and
// one SSM parameter, since a stack needs a resource), so a client that reads a stack's
// outputs can be tested without the stack's real resources.
func (m *Moto) CreateStack(t testing.TB, name string, outputs map[string]string) {
	t.Helper()
	outs := map[string]any{}
	for k, v := range outputs {
		outs[k] = map[string]any{"Value": v}
	}
	template, _ := json.Marshal(map[string]any{
		"Resources": map[string]any{"Placeholder": map[string]any{
			"Type": "AWS::SSM::Parameter", "Properties": map[string]any{"Name": "/" + name + "/placeholder", "Type": "String", "Value": name},
		}},
		"Outputs": outs,
	})
	ctx := context.Background()
	cfn := cloudformation.NewFromConfig(m.Config())
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName: aws.String(name), TemplateBody: aws.String(string(template)),
	}); err != nil {
		t.Fatalf("create stack %s in moto: %v", name, err)
	}
	w := cloudformation.NewStackCreateCompleteWaiter(cfn, func(o *cloudformation.StackCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)}, time.Minute); err != nil {
		t.Fatalf("stack %s in moto: %v", name, err)
	}
}
