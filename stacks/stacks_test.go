package stacks

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Every stack builds with nil props (its defaults) instead of panicking on them.
func TestStacksAcceptNilProps(t *testing.T) {
	ctx, err := appContext()
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &ctx})
	NewMyFirstEc2Stack(app, "A", nil)
	NewEc2ForDlStack(app, "B", nil)
	NewEcsClusterQaBotStack(app, "C", nil)
	NewSimpleBatchStack(app, "D", nil)
	NewSimpleLambdaStack(app, "E", nil)
	NewSimpleDynamoDbStack(app, "F", nil)
	NewSimpleS3Stack(app, "G", nil)
	NewBashoutterStack(app, "H", nil)
	if n := len(*app.Node().Children()); n != 8 {
		t.Errorf("%d stacks, want 8", n)
	}
}
