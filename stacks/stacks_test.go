package stacks

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/internal/instancetype"
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

// instancetype.Valid and IsArm64 agree with aws-cdk-lib's own InstanceType on every
// name the config tests and the probes use: what config lets through, CDK reads
// (no MalformedInstanceTypeIdentifier panic at synth), with the same architecture.
func TestInstanceTypeGrammarIsCDKs(t *testing.T) {
	names := []string{
		"t3.micro", "t4g.nano", "g4dn.xlarge", "g5g.xlarge", "m7i-flex.large", "p5.48xlarge", "c7gn.16xlarge",
		"a1.large", "inf2.xlarge", "gr6.4xlarge", "x2iedn.32xlarge", "t3.micro-", "m5.metal",
		"t.micro", "a.b", "micro.t3", "mac2-m2pro.metal", "u-6tb1.metal", "t3micro", "T3.micro", "t3.", ".micro",
		"t123.micro", "t3.micro; rm", "",
	}
	for _, name := range names {
		cdkReads, cdkArm := true, false
		func() {
			defer func() {
				if recover() != nil {
					cdkReads = false
				}
			}()
			cdkArm = awsec2.NewInstanceType(jsii.String(name)).Architecture() == awsec2.InstanceArchitecture_ARM_64
		}()
		if ours := instancetype.Valid(name); ours != cdkReads {
			t.Errorf("%q: instancetype.Valid = %v, CDK reads it = %v", name, ours, cdkReads)
		}
		if cdkReads && instancetype.IsArm64(name) != cdkArm {
			t.Errorf("%q: IsArm64 = %v, CDK says arm64 = %v", name, instancetype.IsArm64(name), cdkArm)
		}
	}
}
