package constructs

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/internal/lambdabuild"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/synthprofile"
)

// GoFunctionProps configures NewGoFunction.
type GoFunctionProps struct {
	// Entry is the Go main package to deploy, relative to the module root
	// (for example "handson/simplelambda").
	Entry string
	// Description shows in the Lambda console.
	Description string
	// MemoryMiB: nil means 128, the smallest size (CPU grows with memory).
	MemoryMiB *int
	// Environment variables of the function.
	Environment map[string]string
	// DeadLetterQueue, when set, keeps the events of asynchronous invocations that
	// failed every retry.
	DeadLetterQueue awssqs.IQueue
}

// GoFunction is a Lambda function written in Go: compiled on this machine with
// `go build` for linux/arm64 (Graviton, the cheaper architecture) into a static
// `bootstrap` for the provided.al2023 runtime. It has its own role, which can write to
// its own log group and nothing else until the stack grants more, and its own log group
// with a retention period, deleted with the stack.
type GoFunction interface {
	cdkconstructs.Construct
	Function() awslambda.Function
	Role() awsiam.Role
	LogGroup() awslogs.LogGroup
}

type goFunction struct {
	cdkconstructs.Construct
	function awslambda.Function
	role     awsiam.Role
	logGroup awslogs.LogGroup
}

func (g *goFunction) Function() awslambda.Function { return g.function }
func (g *goFunction) Role() awsiam.Role            { return g.role }
func (g *goFunction) LogGroup() awslogs.LogGroup   { return g.logGroup }

// GoFunctionLogRetention is how long a function's logs are kept.
const GoFunctionLogRetention = awslogs.RetentionDays_ONE_WEEK

// goFunctionTimeout is the course's: every hands-on function answers within seconds.
const goFunctionTimeout = 10 * time.Second

// NewGoFunction builds the function. The binary is compiled when the app synthesizes
// (`cdk synth` / `cdk deploy`), not when the construct is created; tests skip it with
// the context key aws:cdk:bundling-stacks = [].
func NewGoFunction(scope cdkconstructs.Construct, id string, props *GoFunctionProps) GoFunction {
	if props == nil || props.Entry == "" {
		panic(fmt.Sprintf("GoFunction %s: Entry (the Go main package) is required", id))
	}
	memory := 128
	if props.MemoryMiB != nil {
		memory = *props.MemoryMiB
	}

	this := cdkconstructs.NewConstruct(scope, jsii.String(id))

	logGroup := awslogs.NewLogGroup(this, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention:     GoFunctionLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// A role of its own instead of the AWSLambdaBasicExecutionRole managed policy, which
	// may write to every log group of the account.
	role := awsiam.NewRole(this, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(fmt.Sprintf("Runs %s; writes to its own log group", props.Entry)),
	})
	logGroup.GrantWrite(role)

	env := map[string]*string{}
	for k, v := range props.Environment {
		env[k] = jsii.String(v)
	}

	fn := awslambda.NewFunction(this, jsii.String("Function"), &awslambda.FunctionProps{
		Runtime:         awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:    awslambda.Architecture_ARM_64(),
		Handler:         jsii.String(lambdabuild.BinaryName),
		Code:            goCode(this, props.Entry),
		Description:     jsii.String(props.Description),
		MemorySize:      jsii.Number(float64(memory)),
		Timeout:         awscdk.Duration_Seconds(jsii.Number(goFunctionTimeout.Seconds())),
		Environment:     &env,
		Role:            role,
		LogGroup:        logGroup,
		DeadLetterQueue: props.DeadLetterQueue,
	})

	return &goFunction{Construct: this, function: fn, role: role, logGroup: logGroup}
}

// goCode is the function's code asset: the directory of the main package is the asset's
// source, and its hash is Go's build ID of the package (lambdabuild.CacheKey), so a
// change anywhere in the code the binary is built from (an imported package too)
// deploys a new version, and a synth that finds the asset of that hash in cdk.out does
// not build it again. Stacks the CLI does not bundle (aws:cdk:bundling-stacks) get
// CDK's placeholder hash and no build at all.
func goCode(scope cdkconstructs.Construct, entry string) awslambda.Code {
	root, err := project.Root()
	if err != nil {
		panic(err)
	}
	pkg := "./" + filepath.ToSlash(entry)
	opts := &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// Never used: the local bundler below always builds. The field is required by CDK.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/golang:1")),
			Local: &goBundler{moduleRoot: root, pkg: pkg},
		},
	}
	if *awscdk.Stack_Of(scope).BundlingRequired() {
		opts.AssetHashType = awscdk.AssetHashType_CUSTOM
		opts.AssetHash = jsii.String(cacheKey(root, pkg))
	}
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(root, filepath.FromSlash(entry))), opts)
}

var keys sync.Map // package → its lambdabuild.CacheKey, computed once per synthesis

// cacheKey computes the package's key once per synthesis (it compiles the package if
// needed). A compile error stops the app here as a Go panic that main reports as go's
// message; raised inside CDK's bundling callback it would come back through jsii as a
// crash of its runtime.
func cacheKey(root, pkg string) string {
	if k, ok := keys.Load(pkg); ok {
		return k.(string)
	}
	defer synthprofile.Start("Lambda bundling: go list (build ID, compile check)")()
	k, err := lambdabuild.CacheKey(root, pkg, "arm64")
	if err != nil {
		panic(err)
	}
	keys.Store(pkg, k)
	return k
}

// goBundler is CDK's local bundling hook. jsii needs a pointer to it.
type goBundler struct {
	moduleRoot string
	pkg        string
}

// TryBundle compiles the package into outputDir/bootstrap for linux/arm64. CDK calls it
// only when cdk.out does not hold the asset yet.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	defer synthprofile.Start("Lambda bundling: go build")()
	out := filepath.Join(*outputDir, lambdabuild.BinaryName)
	if err := lambdabuild.Build(b.moduleRoot, b.pkg, out, "arm64"); err != nil {
		panic(err)
	}
	return jsii.Bool(true)
}
