package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/intro-aws-go/intro-aws-go/constructs"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
)

// The worker's task size, chosen from measurements (make bench,
// BenchmarkWorkerPeakMemory): answering the course example and two full 384-token
// windows with the int8 model the image ships peaks at about 195 MiB of resident
// memory (430 MiB with the fp32 model), and takes about 0.1–0.2 s of one core per
// 384-token window. The smallest Fargate size, 0.25 vCPU with 512 MiB, holds the
// int8 model with a 2.5× margin; the course used 1 vCPU and 4 GiB.
const (
	QaBotTaskCPU       = 256 // 0.25 vCPU
	QaBotTaskMemoryMiB = 512
	// QaBotThreads is ONNX Runtime's intra-op thread count: one is all a quarter
	// vCPU can run; more threads only contend.
	QaBotThreads = "1"
	// QaBotContainerName is the container the client gives ITEM_IDS to.
	QaBotContainerName = "EcsClusterQaBot-Container"
	// QaBotLogStreamPrefix: each task logs to <prefix>/<container>/<task id>.
	QaBotLogStreamPrefix = "EcsClusterQaBot"
	// QaBotDockerfile is the worker's image recipe, relative to the repository root.
	QaBotDockerfile = "handson/qabot/Dockerfile"
)

// QaBotImageContext is what of the repository goes into the image's build context
// (Docker ignore syntax, applied in order): the module files, handson/qabot/ and its
// contract handson/contracts/qabot/, without tests and test tooling, so that only a
// change to what the image runs rebuilds it.
var QaBotImageContext = []string{
	"*", "!go.mod", "!go.sum", "!handson", "handson/*", "!handson/qabot",
	"!handson/contracts", "handson/contracts/*", "!handson/contracts/qabot",
	"**/*_test.go", "**/testdata", "handson/qabot/tinymodel",
}

// EcsClusterQaBotStackProps are the inputs of hands-on #3.
type EcsClusterQaBotStackProps struct {
	awscdk.StackProps
	// Spot runs the worker on Fargate Spot (about 70% cheaper). Fargate Spot has no
	// arm64 capacity, so the image and the task are x86_64 then; by default they are
	// arm64 (Graviton, about 20% cheaper than x86_64) on regular Fargate.
	Spot bool
	// SourceDir is the repository root, the image's build context. Default "."
	// (the CDK CLI runs the app there).
	SourceDir string
}

// NewEcsClusterQaBotStack builds hands-on #3 (「Transformer を用いた質問回答ボット」): a
// table of questions and answers, an ECS cluster in a public-only VPC, and a
// Fargate task definition whose container answers questions with DistilBERT.
// Nothing runs, and nothing bills, until the client starts a task.
func NewEcsClusterQaBotStack(scope cdkconstructs.Construct, id string, props *EcsClusterQaBotStackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	sourceDir := props.SourceDir
	if sourceDir == "" {
		sourceDir = "."
	}

	// 1. The table: one item per question (item_id), on-demand, gone with the stack.
	table := constructs.NewItemTable(stack, "EcsClusterQaBot-Table")

	// 2. The network: public subnet only, no NAT gateway. Tasks get a public IP to
	//    pull the image and reach DynamoDB.
	network := constructs.NewPublicVpc(stack, "Network", nil)

	// 3. The cluster, with the Fargate and Fargate Spot capacity providers. It costs
	//    nothing by itself; Container Insights (billed per metric) stays off.
	cluster := awsecs.NewCluster(stack, jsii.String("EcsClusterQaBot-Cluster"), &awsecs.ClusterProps{
		Vpc:                            network.Vpc(),
		EnableFargateCapacityProviders: jsii.Bool(true),
		ContainerInsightsV2:            awsecs.ContainerInsights_DISABLED,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(cluster, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-ECS4"),
		Reason: jsii.String("Container Insights bills per metric; the cluster runs one short task per question, whose exit code and logs the client reports."),
	}}, jsii.Bool(false))

	// The tasks' security group: outbound only (image pull, DynamoDB, logs). CDK
	// empties the VPC's default group, so tasks must be given this one.
	taskSG := awsec2.NewSecurityGroup(stack, jsii.String("TaskSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              network.Vpc(),
		AllowAllOutbound: jsii.Bool(true),
		Description:      jsii.String("EcsClusterQaBot tasks: outbound only, nothing can connect in"),
	})

	// 4. The task definition, sized from measurements (see QaBotTaskCPU).
	arch, platform, capacity := awsecs.CpuArchitecture_ARM64(), awsecrassets.Platform_LINUX_ARM64(), qabot.CapacityFargate
	if props.Spot {
		arch, platform, capacity = awsecs.CpuArchitecture_X86_64(), awsecrassets.Platform_LINUX_AMD64(), qabot.CapacityFargateSpot
	}
	taskDef := awsecs.NewFargateTaskDefinition(stack, jsii.String("EcsClusterQaBot-TaskDef"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(QaBotTaskCPU),
		MemoryLimitMiB: jsii.Number(QaBotTaskMemoryMiB),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture:       arch,
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
	})
	// The worker may read and update items of this table, and nothing else.
	taskDef.AddToTaskRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("dynamodb:GetItem", "dynamodb:UpdateItem"),
		Resources: jsii.Strings(*table.TableArn()),
	}))

	logGroup := awslogs.NewLogGroup(stack, jsii.String("EcsClusterQaBot-Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_WEEK,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	// 5. The container: the Go worker, DistilBERT (int8) and ONNX Runtime, built from
	//    handson/qabot/Dockerfile by `cdk deploy` (Docker needed) for the task's
	//    architecture. Container-level memory too: harmless on AWS, and ECS emulators
	//    require it.
	container := taskDef.AddContainer(jsii.String(QaBotContainerName), &awsecs.ContainerDefinitionOptions{
		ContainerName: jsii.String(QaBotContainerName),
		Image: awsecs.ContainerImage_FromAsset(jsii.String(sourceDir), &awsecs.AssetImageProps{
			File:       jsii.String(QaBotDockerfile),
			Platform:   platform,
			Exclude:    jsii.Strings(QaBotImageContext...),
			IgnoreMode: awscdk.IgnoreMode_DOCKER,
		}),
		MemoryLimitMiB:         jsii.Number(QaBotTaskMemoryMiB),
		Essential:              jsii.Bool(true),
		ReadonlyRootFilesystem: jsii.Bool(true),
		Environment: &map[string]*string{
			qabot.EnvTableName: table.TableName(),
			qabot.EnvThreads:   jsii.String(QaBotThreads),
		},
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{
			LogGroup:     logGroup,
			StreamPrefix: jsii.String(QaBotLogStreamPrefix),
		}),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(taskDef, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-ECS2"),
		Reason: jsii.String("The environment holds the table name and a thread count, no secrets; the question itself travels through the table."),
	}}, jsii.Bool(false))
	cdknag.NagSuppressions_AddResourceSuppressions(taskDef.ObtainExecutionRole(), &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("ecr:GetAuthorizationToken has no resource-level permissions; the pull itself is scoped to the CDK asset repository."),
		AppliesTo: &[]any{jsii.String("Resource::*")},
	}}, jsii.Bool(true))

	// 6. What the client needs, as SSM parameters under /EcsClusterQaBot/ (the
	//    course's names, no longer at the account root).
	params := map[string]*string{
		qabot.ParamClusterName:       cluster.ClusterName(),
		qabot.ParamTaskDefinitionArn: taskDef.TaskDefinitionArn(),
		qabot.ParamContainerName:     container.ContainerName(),
		qabot.ParamSubnet1:           (*network.Vpc().PublicSubnets())[0].SubnetId(),
		qabot.ParamSecurityGroupID:   taskSG.SecurityGroupId(),
		qabot.ParamTableName:         table.TableName(),
		qabot.ParamLogGroupName:      logGroup.LogGroupName(),
		qabot.ParamLogStreamPrefix:   jsii.String(QaBotLogStreamPrefix),
		qabot.ParamCapacityProvider:  jsii.String(capacity),
	}
	for _, leaf := range qabot.Parameters() {
		awsssm.NewStringParameter(stack, jsii.String(leaf), &awsssm.StringParameterProps{
			ParameterName: jsii.String(qabot.ParameterName(leaf)),
			StringValue:   params[leaf],
			Description:   jsii.String("EcsClusterQaBot: read by go run ./cmd/runtask"),
		})
	}

	// 7. The course's outputs.
	output(stack, "ClusterName", cluster.ClusterName(), "ECS cluster that runs the question-answering tasks")
	output(stack, "TaskDefinitionArn", taskDef.TaskDefinitionArn(), "Task definition of the question-answering worker")
	return stack
}
