package testenv

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
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

// DeploySynthesized creates a stack in moto's CloudFormation from a template the app
// synthesized (see SynthApp), tagged as `cdk deploy` tags it, and waits for
// CREATE_COMPLETE. CDK templates check the bootstrap version, and moto answers 500
// unless that parameter exists, so it is put first.
func (m *Moto) DeploySynthesized(t testing.TB, outdir, stack string) {
	t.Helper()
	ctx := context.Background()
	if _, err := ssm.NewFromConfig(m.Config()).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/cdk-bootstrap/hnb659fds/version"), Value: aws.String("30"), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(outdir, stack+".template.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfn := cloudformation.NewFromConfig(m.Config())
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName: aws.String(stack), TemplateBody: aws.String(string(body)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam},
		Tags:         []cfntypes.Tag{{Key: aws.String("Project"), Value: aws.String("intro-aws-go")}, {Key: aws.String("HandsOn"), Value: aws.String(stack)}},
	}); err != nil {
		t.Fatalf("create %s in moto: %v", stack, err)
	}
	w := cloudformation.NewStackCreateCompleteWaiter(cfn, func(o *cloudformation.StackCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, time.Minute); err != nil {
		t.Fatalf("%s did not deploy on moto: %v", stack, err)
	}
}

// DestroyStack deletes a stack as `cdk destroy` does and waits for DELETE_COMPLETE.
func (m *Moto) DestroyStack(t testing.TB, stack string) {
	t.Helper()
	ctx := context.Background()
	cfn := cloudformation.NewFromConfig(m.Config())
	if _, err := cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(stack)}); err != nil {
		t.Fatalf("delete %s in moto: %v", stack, err)
	}
	w := cloudformation.NewStackDeleteCompleteWaiter(cfn, func(o *cloudformation.StackDeleteCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, time.Minute); err != nil {
		t.Fatalf("%s was not deleted on moto: %v", stack, err)
	}
}
