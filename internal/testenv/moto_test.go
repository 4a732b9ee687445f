package testenv

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

func TestMotoServesSSMAndResets(t *testing.T) {
	m := StartMoto(t)
	client := ssm.NewFromConfig(m.Config())
	ctx := context.Background()
	if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/Test/NAME"), Value: aws.String("v"), Type: "String",
	}); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/Test/NAME")})
	if err != nil || *got.Parameter.Value != "v" {
		t.Fatalf("GetParameter = %v, %v", got, err)
	}
	if err := m.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/Test/NAME")}); err == nil {
		t.Fatal("parameter survived the reset")
	}
}
