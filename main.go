// Command intro-aws-go is the CDK app of the course's hands-ons: one stack per
// hands-on. It is the only place that reads the environment and the CDK context;
// everything it reads is validated into typed props before any stack is built.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/intro-aws-go/intro-aws-go/config"
	"github.com/intro-aws-go/intro-aws-go/internal/bundlescope"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
	"github.com/intro-aws-go/intro-aws-go/internal/lambdabuild"
	"github.com/intro-aws-go/intro-aws-go/internal/synthprofile"
	"github.com/intro-aws-go/intro-aws-go/stacks"
)

func main() {
	stop := synthprofile.Start("jsii start (Node.js, aws-cdk-lib)")
	// CDK's built-in CloudFormation validation compiles its WebAssembly rule engine on
	// every synth: about 60% of the CPU time of `cdk synth` here (make bench-synth). The
	// templates only change with this code, so `make test` validates them (with
	// CDK_VALIDATION=true, as errors: @aws-cdk/core:validateAgainstDefaultRules) and runs
	// cfn-lint; a learner's synth and deploy skip it.
	app := awscdk.NewApp(&awscdk.AppProps{BuiltinCloudFormationValidation: jsii.Bool(os.Getenv("CDK_VALIDATION") == "true")})
	stop()
	bundlescope.Apply(app.Node(), handsons.Stacks)
	settings, err := config.Load(func(key string) (any, bool) {
		v := app.Node().TryGetContext(jsii.String(key))
		return v, v != nil
	}, os.Getenv)
	if err != nil {
		jsii.Close()
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	if err := synthesize(app, settings); err != nil {
		jsii.Close()
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	stop = synthprofile.Start("jsii close")
	jsii.Close()
	stop()
	synthprofile.Report()
}

// synthesize builds and synthesizes the app. A Go Lambda function that does not
// compile (the bundler runs `go build` during synthesis) stops it with go build's own
// message rather than a panic trace.
func synthesize(app awscdk.App, s config.Settings) (err error) {
	defer func() {
		if r := recover(); r != nil {
			msg := lambdabuild.FailureMessage(r)
			if msg == "" {
				panic(r)
			}
			err = errors.New(msg)
		}
	}()
	stop := synthprofile.Start("stack construction (incl. asset staging, Lambda bundling)")
	buildApp(app, s)
	stop()
	stop = synthprofile.Start("app.Synth (aspects, validation, writing the assembly)")
	app.Synth(nil)
	stop()
	return nil
}

// buildApp adds every hands-on stack to app, and the cdk-nag AwsSolutions checks,
// which turn any unsuppressed finding into a synth error.
func buildApp(app awscdk.App, s config.Settings) {
	env := environment(s)

	stacks.NewMyFirstEc2Stack(app, "MyFirstEc2", &stacks.MyFirstEc2StackProps{
		StackProps:   stackProps(env, "MyFirstEc2", "Hands-on #1: a first EC2 instance in a public-only VPC"),
		InstanceType: s.InstanceType,
		KeyName:      s.KeyName,
		SSHCidr:      s.SSHCidr,
	})

	stacks.NewEc2ForDlStack(app, "Ec2ForDl", &stacks.Ec2ForDlStackProps{
		StackProps:       stackProps(env, "Ec2ForDl", "Hands-on #2: a GPU instance with the Deep Learning AMI (PyTorch)"),
		InstanceType:     s.InstanceType,
		ImageParameter:   s.DlamiParameter,
		KeyName:          s.KeyName,
		SSHCidr:          s.SSHCidr,
		Spot:             s.Spot,
		IdleStopMinutes:  s.IdleStopMinutes,
		AvailabilityZone: s.AvailabilityZone,
	})

	stacks.NewEcsClusterQaBotStack(app, handsons.EcsClusterQaBot, &stacks.EcsClusterQaBotStackProps{
		StackProps: stackProps(env, handsons.EcsClusterQaBot, "Hands-on #3: a question-answering bot (DistilBERT) on ECS Fargate"),
		Spot:       s.Spot,
	})

	maxVcpus := 0
	if s.MaxVcpus != nil {
		maxVcpus = *s.MaxVcpus
	}
	stacks.NewSimpleBatchStack(app, "SimpleBatch", &stacks.SimpleBatchStackProps{
		StackProps:   stackProps(env, "SimpleBatch", "Hands-on #4: a GPU hyper-parameter sweep on AWS Batch"),
		InstanceType: s.InstanceType,
		Spot:         s.Spot,
		MaxVcpus:     maxVcpus,
	})

	stacks.NewSimpleLambdaStack(app, handsons.SimpleLambda, &stacks.SimpleLambdaStackProps{
		StackProps: stackProps(env, handsons.SimpleLambda, "Hands-on #5: a first Lambda function (Go, arm64)"),
	})
	stacks.NewSimpleDynamoDbStack(app, handsons.SimpleDynamoDb, &stacks.SimpleDynamoDbStackProps{
		StackProps: stackProps(env, handsons.SimpleDynamoDb, "Hands-on #5: a first DynamoDB table"),
	})
	stacks.NewSimpleS3Stack(app, handsons.SimpleS3, &stacks.SimpleS3StackProps{
		StackProps: stackProps(env, handsons.SimpleS3, "Hands-on #5: a first private S3 bucket"),
	})
	stacks.NewBashoutterStack(app, handsons.Bashoutter, &stacks.BashoutterStackProps{
		StackProps: stackProps(env, handsons.Bashoutter, "Hands-on #6: Bashoutter, a haiku SNS on API Gateway, Lambda, DynamoDB and CloudFront"),
	})

	tagEverything(app)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// ProjectTag marks every resource of every stack, so `go run ./cmd/leftovers` can find
// what is still in the account after `cdk destroy`, and the billing console can filter.
const ProjectTag = handsons.ProjectTag

// tagEverything tags each stack's resources with Project and HandsOn=<stack name>.
func tagEverything(app awscdk.App) {
	awscdk.Tags_Of(app).Add(jsii.String("Project"), jsii.String(ProjectTag), nil)
	for _, child := range *app.Node().Children() {
		if stack, ok := child.(awscdk.Stack); ok {
			awscdk.Tags_Of(stack).Add(jsii.String("HandsOn"), stack.StackName(), nil)
		}
	}
}

// environment pins stacks to the CLI's account and region when it knows them. An empty
// account must stay nil: CDK rejects "" as an account id.
func environment(s config.Settings) *awscdk.Environment {
	if s.Account == "" && s.Region == "" {
		return nil
	}
	env := &awscdk.Environment{}
	if s.Account != "" {
		env.Account = jsii.String(s.Account)
	}
	if s.Region != "" {
		env.Region = jsii.String(s.Region)
	}
	return env
}

// stackProps are the props every stack shares. The tags on the stack itself mark the
// CloudFormation stack (tagEverything marks the resources in the template).
func stackProps(env *awscdk.Environment, name, description string) awscdk.StackProps {
	return awscdk.StackProps{
		Env:         env,
		Description: jsii.String("intro-aws-go " + description),
		Tags:        &map[string]*string{"Project": jsii.String(ProjectTag), "HandsOn": jsii.String(name)},
	}
}
