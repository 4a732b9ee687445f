package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/constructs"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
)

// The worker's task size, chosen from measurements (make bench,
// BenchmarkWorkerPeakMemory): answering the course example and two full 384-token
// windows with the int8 model the image ships peaks at about 195 MiB of resident
// memory (430 MiB with the fp32 model), and takes about 0.1–0.2 s of one core per
// 384-token window. The smallest Fargate size, 0.25 vCPU with 512 MiB, holds the
// int8 model with a 2.5× margin; the course used 1 vCPU and 4 GiB.
const (
	qaBotTaskCPU       = 256 // 0.25 vCPU
	qaBotTaskMemoryMiB = 512
	// qaBotThreads is ONNX Runtime's intra-op thread count: one is all a quarter
	// vCPU can run; more threads only contend.
	qaBotThreads = "1"
	// qaBotContainerName is the container the client gives ITEM_IDS to.
	qaBotContainerName = "EcsClusterQaBot-Container"
	// qaBotLogStreamPrefix: each task logs to <prefix>/<container>/<task id>.
	qaBotLogStreamPrefix = "EcsClusterQaBot"
	// qaBotDockerfile is the worker's image recipe, relative to the repository root.
	qaBotDockerfile = "handson/qabot/Dockerfile"
)

// qaBotImageContext is what of the repository goes into the image's build context
// (Docker ignore syntax, applied in order): the module files, handson/qabot/ and its
// contract handson/contracts/qabot/, without tests and test tooling, so that only a
// change to what the image runs rebuilds it.
var qaBotImageContext = []string{
	"*", "!go.mod", "!go.sum", "!handson", "handson/*", "!handson/qabot",
	"!handson/contracts", "handson/contracts/*", "!handson/contracts/qabot",
	"**/*_test.go", "**/testdata",
}

// EcsClusterQaBotStackProps are the inputs of hands-on #3.
type EcsClusterQaBotStackProps struct {
	awscdk.StackProps
	// Spot runs the worker on Fargate Spot (about 70% cheaper). Fargate Spot has no
	// arm64 capacity, so the image and the task are x86_64 then; by default they are
	// arm64 (Graviton, about 20% cheaper than x86_64) on regular Fargate.
	Spot bool
}

// NewEcsClusterQaBotStack builds hands-on #3 (「Transformer を用いた質問回答ボット」): a
// table of questions and answers, an ECS cluster in a public-only VPC, and a
// Fargate task definition whose container answers questions with DistilBERT.
// Nothing runs, and nothing bills, until the client starts a task.
func NewEcsClusterQaBotStack(scope cdkconstructs.Construct, id string, props *EcsClusterQaBotStackProps) awscdk.Stack {
	p := propsOf(props)
	stack := awscdk.NewStack(scope, &id, &p.StackProps)

	// 1. The table: one item per question (item_id), on-demand, gone with the stack.
	table := constructs.NewItemTable(stack, "EcsClusterQaBot-Table")
	// 2. The network: public subnet only, no NAT gateway. Tasks get a public IP to
	//    pull the image and reach DynamoDB.
	network := constructs.NewPublicVpc(stack, "Network", nil)
	cluster := qaBotCluster(stack, network)
	taskSG := taskSecurityGroup(stack, network)
	worker := workerTask(stack, table, p.Spot)

	// 6. What the client needs, as SSM parameters under /<stack name>/ (the course's
	//    names, no longer at the account root; `runtask --stack NAME` reads /NAME/).
	clientParameters(stack, id, map[string]*string{
		qabot.ParamClusterName:       cluster.ClusterName(),
		qabot.ParamTaskDefinitionArn: worker.taskDef.TaskDefinitionArn(),
		qabot.ParamContainerName:     worker.container.ContainerName(),
		qabot.ParamSubnet1:           (*network.Vpc().PublicSubnets())[0].SubnetId(),
		qabot.ParamSecurityGroupID:   taskSG.SecurityGroupId(),
		qabot.ParamTableName:         table.TableName(),
		qabot.ParamLogGroupName:      worker.logGroup.LogGroupName(),
		qabot.ParamLogStreamPrefix:   jsii.String(qaBotLogStreamPrefix),
		qabot.ParamCapacityProvider:  jsii.String(worker.capacity),
	})
	// 7. The course's outputs.
	output(stack, "ClusterName", cluster.ClusterName(), "ECS cluster that runs the question-answering tasks")
	output(stack, "TaskDefinitionArn", worker.taskDef.TaskDefinitionArn(), "Task definition of the question-answering worker")

	suppressQaBotNag(cluster, worker.taskDef)
	return stack
}

// qaBotCluster is step 3: the cluster, with the Fargate and Fargate Spot capacity
// providers. It costs nothing by itself; Container Insights (billed per metric) stays off.
func qaBotCluster(stack awscdk.Stack, network constructs.PublicVpc) awsecs.Cluster {
	return awsecs.NewCluster(stack, jsii.String("EcsClusterQaBot-Cluster"), &awsecs.ClusterProps{
		Vpc:                            network.Vpc(),
		EnableFargateCapacityProviders: jsii.Bool(true),
		ContainerInsightsV2:            awsecs.ContainerInsights_DISABLED,
	})
}

// taskSecurityGroup is the tasks' security group: outbound only (image pull, DynamoDB,
// logs). CDK empties the VPC's default group, so tasks must be given this one.
func taskSecurityGroup(stack awscdk.Stack, network constructs.PublicVpc) awsec2.SecurityGroup {
	return awsec2.NewSecurityGroup(stack, jsii.String("TaskSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              network.Vpc(),
		AllowAllOutbound: jsii.Bool(true),
		Description:      jsii.String("EcsClusterQaBot tasks: outbound only, nothing can connect in"),
	})
}

// qaBotWorker is what steps 4 and 5 build.
type qaBotWorker struct {
	taskDef   awsecs.FargateTaskDefinition
	container awsecs.ContainerDefinition
	logGroup  awslogs.LogGroup
	capacity  string // qabot.CapacityFargate or qabot.CapacityFargateSpot
}

// workerTask is steps 4 and 5: the task definition, sized from measurements (see
// qaBotTaskCPU), whose role may read and update items of this table and nothing else;
// and its container, the Go worker with DistilBERT (int8) and ONNX Runtime.
func workerTask(stack awscdk.Stack, table awsdynamodb.Table, spot bool) qaBotWorker {
	arch, platform, capacity := awsecs.CpuArchitecture_ARM64(), awsecrassets.Platform_LINUX_ARM64(), qabot.CapacityFargate
	if spot {
		arch, platform, capacity = awsecs.CpuArchitecture_X86_64(), awsecrassets.Platform_LINUX_AMD64(), qabot.CapacityFargateSpot
	}
	w := qaBotWorker{capacity: capacity}
	w.taskDef = awsecs.NewFargateTaskDefinition(stack, jsii.String("EcsClusterQaBot-TaskDef"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(qaBotTaskCPU),
		MemoryLimitMiB: jsii.Number(qaBotTaskMemoryMiB),
		RuntimePlatform: &awsecs.RuntimePlatform{
			CpuArchitecture:       arch,
			OperatingSystemFamily: awsecs.OperatingSystemFamily_LINUX(),
		},
	})
	w.taskDef.AddToTaskRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("dynamodb:GetItem", "dynamodb:UpdateItem"),
		Resources: jsii.Strings(*table.TableArn()),
	}))
	w.logGroup = awslogs.NewLogGroup(stack, jsii.String("EcsClusterQaBot-Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_WEEK,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	// The image is built from handson/qabot/Dockerfile by `cdk deploy` (Docker needed)
	// for the task's architecture. Container-level memory too: harmless on AWS, and ECS
	// emulators require it.
	w.container = w.taskDef.AddContainer(jsii.String(qaBotContainerName), &awsecs.ContainerDefinitionOptions{
		ContainerName: jsii.String(qaBotContainerName),
		Image: awsecs.ContainerImage_FromAsset(jsii.String(project.Path(".")), &awsecs.AssetImageProps{
			File:       jsii.String(qaBotDockerfile),
			Platform:   platform,
			Exclude:    jsii.Strings(qaBotImageContext...),
			IgnoreMode: awscdk.IgnoreMode_DOCKER,
		}),
		MemoryLimitMiB:         jsii.Number(qaBotTaskMemoryMiB),
		Essential:              jsii.Bool(true),
		ReadonlyRootFilesystem: jsii.Bool(true),
		Environment: &map[string]*string{
			qabot.EnvTableName: table.TableName(),
			qabot.EnvThreads:   jsii.String(qaBotThreads),
		},
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{
			LogGroup:     w.logGroup,
			StreamPrefix: jsii.String(qaBotLogStreamPrefix),
		}),
	})
	return w
}

// clientParameters publishes each value as the String parameter /<stack name>/<leaf>.
// The construct ids are the leaves, as before the prefix followed the stack name.
func clientParameters(stack awscdk.Stack, stackName string, values map[string]*string) {
	for _, leaf := range qabot.Parameters() {
		awsssm.NewStringParameter(stack, jsii.String(leaf), &awsssm.StringParameterProps{
			ParameterName: jsii.String("/" + stackName + "/" + leaf),
			StringValue:   values[leaf],
			Description:   jsii.String(stackName + ": read by go run ./cmd/runtask"),
		})
	}
}

// suppressQaBotNag records why the remaining cdk-nag findings are accepted.
func suppressQaBotNag(cluster awsecs.Cluster, taskDef awsecs.FargateTaskDefinition) {
	suppress(cluster, false, nagReason{"AwsSolutions-ECS4",
		"Container Insights bills per metric; the cluster runs one short task per question, whose exit code and logs the client reports.", nil})
	suppress(taskDef, false, nagReason{"AwsSolutions-ECS2",
		"The environment holds the table name and a thread count, no secrets; the question itself travels through the table.", nil})
	suppress(taskDef.ObtainExecutionRole(), true, nagReason{"AwsSolutions-IAM5",
		"ecr:GetAuthorizationToken has no resource-level permissions; the pull itself is scoped to the CDK asset repository.",
		[]any{"Resource::*"}})
}
