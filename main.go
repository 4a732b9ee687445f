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
	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/synthprofile"
	"github.com/intro-aws-go/intro-aws-go/stacks"
)

func main() {
	// Assets (Docker build contexts, the web page, Go Lambda packages) are found from the
	// module root: the CDK CLI runs the app there (cdk.json).
	if _, err := project.Root(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	stop := synthprofile.Start("jsii start (Node.js, aws-cdk-lib)")
	// CDK's built-in CloudFormation validation compiles its WebAssembly rule engine on
	// every synth: about 60% of the CPU time of `cdk synth` here (make bench-synth). The
	// templates only change with this code, so `make test` validates them (with
	// CDK_VALIDATION=true, as errors: @aws-cdk/core:validateAgainstDefaultRules) and runs
	// cfn-lint; a learner's synth and deploy skip it.
	app := awscdk.NewApp(&awscdk.AppProps{BuiltinCloudFormationValidation: jsii.Bool(os.Getenv("CDK_VALIDATION") == "true")})
	stop()
	bundlescope.Apply(app.Node(), handsons.Stacks)
	context := allContext(app)
	keys := make([]string, 0, len(context))
	for k := range context {
		keys = append(keys, k)
	}
	settings, err := config.Load(keys, func(key string) (any, bool) {
		v, ok := context[key]
		return v, ok
	}, os.Getenv)
	if err != nil {
		jsii.Close()
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	for _, note := range settings.Notes {
		fmt.Fprintln(os.Stderr, note)
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

// allContext is the app's whole context (cdk.json, cdk.context.json, -c), so that
// config.Load sees, and checks, every key: a misspelt key must not pass unseen, nor a
// list in cdk.json. (A JSON null arrives as no value at all: the key is not given.)
func allContext(app awscdk.App) map[string]any {
	all, _ := app.Node().GetAllContext(nil).(map[string]any)
	return all
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

// buildApp adds every hands-on stack to app, in course order, and the cdk-nag
// AwsSolutions checks, which turn any unsuppressed finding into a synth error. Each
// stack gets only its own options (config.Settings.For).
func buildApp(app awscdk.App, s config.Settings) {
	env := environment(s)
	o := s.For(handsons.MyFirstEc2)
	stacks.NewMyFirstEc2Stack(app, handsons.MyFirstEc2, &stacks.MyFirstEc2StackProps{
		StackProps:       stackProps(env, handsons.MyFirstEc2, "Hands-on #1: a first EC2 instance in a public-only VPC"),
		InstanceType:     o.InstanceType,
		KeyName:          o.KeyName,
		SSHCidr:          o.SSHCidr,
		AvailabilityZone: o.AvailabilityZone,
	})

	o = s.For(handsons.Ec2ForDl)
	stacks.NewEc2ForDlStack(app, handsons.Ec2ForDl, &stacks.Ec2ForDlStackProps{
		StackProps:       stackProps(env, handsons.Ec2ForDl, "Hands-on #2: a GPU instance with the Deep Learning AMI (PyTorch)"),
		InstanceType:     o.InstanceType,
		ImageParameter:   o.DlamiParameter,
		KeyName:          o.KeyName,
		SSHCidr:          o.SSHCidr,
		Spot:             o.Spot,
		IdleStopMinutes:  o.IdleStopMinutes,
		AvailabilityZone: o.AvailabilityZone,
	})

	stacks.NewEcsClusterQaBotStack(app, handsons.EcsClusterQaBot, &stacks.EcsClusterQaBotStackProps{
		StackProps: stackProps(env, handsons.EcsClusterQaBot, "Hands-on #3: a question-answering bot (DistilBERT) on ECS Fargate"),
		Spot:       s.For(handsons.EcsClusterQaBot).Spot,
	})

	o = s.For(handsons.SimpleBatch)
	stacks.NewSimpleBatchStack(app, handsons.SimpleBatch, &stacks.SimpleBatchStackProps{
		StackProps:   stackProps(env, handsons.SimpleBatch, "Hands-on #4: a GPU hyper-parameter sweep on AWS Batch"),
		InstanceType: o.InstanceType,
		Spot:         o.Spot,
		MaxVcpus:     o.MaxVcpus,
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

	recordOptions(app, s)
	tagEverything(app)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}

// OptionsMetadata is the cloud-assembly metadata type under which each stack records
// the -c options it was built with (manifest.json, not the template), so `go run
// ./cmd/cost` can say which options the prices it shows assume.
const OptionsMetadata = "intro-aws-go:options"

func recordOptions(app awscdk.App, s config.Settings) {
	for _, child := range *app.Node().Children() {
		if stack, ok := child.(awscdk.Stack); ok {
			given := s.For(*stack.StackName()).Given
			if given == nil {
				given = []string{}
			}
			stack.Node().AddMetadata(jsii.String(OptionsMetadata), given, nil)
		}
	}
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
