package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/constructs"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
	"github.com/intro-aws-go/intro-aws-go/internal/instancetype"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
)

const (
	// simpleBatchDefaultMaxVcpus is the course's cap: 16 g4dn.xlarge at once.
	simpleBatchDefaultMaxVcpus = 64
	// simpleBatchImageDirectory is the training container's build context.
	simpleBatchImageDirectory = "handson/simplebatch"
	// simpleBatchRootVolumeGiB is each host's root volume: the ECS GPU AMI's 30 GiB
	// snapshot plus room for the multi-GB PyTorch image.
	simpleBatchRootVolumeGiB = 60
)

// SimpleBatchStackProps are the inputs of hands-on #4.
type SimpleBatchStackProps struct {
	awscdk.StackProps
	// InstanceType defaults to handsons.SimpleBatchInstanceType (4 vCPU, 16 GiB, one
	// NVIDIA T4). An NVIDIA GPU type gets the GPU image and jobs that ask for one GPU;
	// any other x86_64 type with at least 4 vCPU and 16 GiB (m5.xlarge, ...) runs the
	// same jobs on CPU, slowly.
	InstanceType string
	// Spot asks for spot instances (price-capacity optimized); jobs whose host is
	// reclaimed are retried.
	Spot bool
	// MaxVcpus caps the compute environment; nil means 64.
	MaxVcpus *int
}

// NewSimpleBatchStack builds hands-on #4 (「Batch を使った機械学習のハイパーパラメータサーチ」):
// a results bucket, an AWS Batch compute environment that scales GPU instances from
// zero, a job queue and a job definition that trains the MNIST model with one learning
// rate and momentum and writes its metrics to the bucket.
func NewSimpleBatchStack(scope cdkconstructs.Construct, id string, props *SimpleBatchStackProps) awscdk.Stack {
	p := propsOf(props)
	stack := awscdk.NewStack(scope, &id, &p.StackProps)
	instanceType := orString(p.InstanceType, handsons.SimpleBatchInstanceType)
	gpu := instancetype.IsNvidiaGPU(instanceType)

	// 1. The bucket where every job writes its metrics_lr…_m….csv: private, TLS only,
	//    emptied and deleted by `cdk destroy`.
	bucket := constructs.NewPrivateBucket(stack, "Bucket", &constructs.PrivateBucketProps{AutoDeleteObjects: true})
	// 2. The network: the course's 10.10.0.0/23, public subnets only, no NAT gateway.
	//    Batch hosts get a public IP to pull the image and reach S3; no port is open.
	network := constructs.NewPublicVpc(stack, "Network", &constructs.PublicVpcProps{AzCount: new(2)})
	computeEnv := computeEnvironment(stack, network, instanceType, gpu, p.Spot, orDefault(p.MaxVcpus, simpleBatchDefaultMaxVcpus))
	queue := jobQueue(stack, computeEnv)
	job := trainingJob(stack, bucket, gpu)

	// Where the client finds everything: outputs, and SSM parameters under /SimpleBatch/.
	output(stack, "BucketName", bucket.BucketName(), "Bucket with one metrics_lr…_m….csv per job")
	output(stack, "JobQueueArn", queue.JobQueueArn(), "Job queue to submit the training jobs to")
	output(stack, "JobDefinitionArn", job.definition.JobDefinitionArn(), "Job definition of the MNIST training container")
	output(stack, "LogGroupName", job.logGroup.LogGroupName(), "CloudWatch Logs group of the training jobs")
	ssmParameter(stack, "BucketNameParameter", simplebatch.ParameterName(simplebatch.ParamBucketName), bucket.BucketName())
	ssmParameter(stack, "JobQueueArnParameter", simplebatch.ParameterName(simplebatch.ParamJobQueueArn), queue.JobQueueArn())
	ssmParameter(stack, "JobDefinitionArnParameter", simplebatch.ParameterName(simplebatch.ParamJobDefinitionArn), job.definition.JobDefinitionArn())
	ssmParameter(stack, "LogGroupNameParameter", simplebatch.ParameterName(simplebatch.ParamLogGroupName), job.logGroup.LogGroupName())

	suppressSimpleBatchNag(stack, bucket, job, computeEnv)
	return stack
}

// computeEnvironment is step 3: instances from 0 to maxVcpus vCPUs, so it costs
// nothing while no job runs. Batch picks the newest ECS-optimized Amazon Linux 2023
// image for the instance type (the NVIDIA one for GPU types) in whatever region.
func computeEnvironment(stack awscdk.Stack, network constructs.PublicVpc, instanceType string, gpu, spot bool, maxVcpus int) awsbatch.ManagedEc2EcsComputeEnvironment {
	imageType := awsbatch.EcsMachineImageType_ECS_AL2023
	if gpu {
		imageType = awsbatch.EcsMachineImageType_ECS_AL2023_NVIDIA
	}
	computeEnv := awsbatch.NewManagedEc2EcsComputeEnvironment(stack, jsii.String("ComputeEnvironment"), &awsbatch.ManagedEc2EcsComputeEnvironmentProps{
		Vpc:                       network.Vpc(),
		VpcSubnets:                network.PublicSubnets(),
		InstanceTypes:             &[]awsec2.InstanceType{awsec2.NewInstanceType(jsii.String(instanceType))},
		UseOptimalInstanceClasses: jsii.Bool(false),
		MinvCpus:                  jsii.Number(0),
		MaxvCpus:                  jsii.Number(maxVcpus),
		Spot:                      jsii.Bool(spot),
		// Spot: the pools least likely to be interrupted, then the cheapest of them
		// (CDK's default for spot, written out); on-demand: the best fitting type.
		AllocationStrategy: allocationStrategy(spot),
		LaunchTemplate:     hostLaunchTemplate(stack),
		Images:             &[]*awsbatch.EcsMachineImage{{ImageType: imageType}},
	})
	// Hosts download the image at boot: wait for the route to the internet gateway.
	computeEnv.Node().AddDependency(network.InternetReady())
	return computeEnv
}

// hostLaunchTemplate requires IMDSv2 with a hop limit of 1 and encrypts the root volume.
//
// Hop limit 1: an IMDSv2 token cannot travel the extra hop into a container's network
// namespace, so a training container cannot take the host's role. Nothing on the host
// needs more: the ECS agent runs in the host's network namespace, and a job's own role
// reaches its container through the ECS agent's credential endpoint (169.254.170.2,
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI), not through IMDS. See "Task IAM role" and its
// "Additional configuration for Amazon EC2 instances" in the Amazon ECS Developer Guide
// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html), and
// "Instance metadata access considerations" in the Amazon EC2 User Guide
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html):
// hop limit 2 is only for containers that must read IMDS themselves.
func hostLaunchTemplate(stack awscdk.Stack) awsec2.LaunchTemplate {
	return awsec2.NewLaunchTemplate(stack, jsii.String("HostLaunchTemplate"), &awsec2.LaunchTemplateProps{
		RequireImdsv2:           jsii.Bool(true),
		HttpPutResponseHopLimit: jsii.Number(1),
		BlockDevices: &[]*awsec2.BlockDevice{{
			DeviceName: jsii.String("/dev/xvda"),
			Volume: awsec2.BlockDeviceVolume_Ebs(jsii.Number(simpleBatchRootVolumeGiB), &awsec2.EbsDeviceOptions{
				VolumeType:          awsec2.EbsDeviceVolumeType_GP3,
				Encrypted:           jsii.Bool(true),
				DeleteOnTermination: jsii.Bool(true),
			}),
		}},
	})
}

// jobQueue is step 4. Jobs that can never start are cancelled instead of waiting in
// RUNNABLE forever (and the client shows why).
func jobQueue(stack awscdk.Stack, computeEnv awsbatch.IComputeEnvironment) awsbatch.JobQueue {
	return awsbatch.NewJobQueue(stack, jsii.String("JobQueue"), &awsbatch.JobQueueProps{
		ComputeEnvironments: &[]*awsbatch.OrderedComputeEnvironment{{ComputeEnvironment: computeEnv, Order: jsii.Number(1)}},
		Priority:            jsii.Number(1),
		JobStateTimeLimitActions: &[]*awsbatch.JobStateTimeLimitAction{
			{Reason: awsbatch.JobStateTimeLimitActionsReason_JOB_RESOURCE_REQUIREMENT, MaxTime: awscdk.Duration_Minutes(jsii.Number(10))},
			{Reason: awsbatch.JobStateTimeLimitActionsReason_COMPUTE_ENVIRONMENT_MAX_RESOURCE, MaxTime: awscdk.Duration_Minutes(jsii.Number(10))},
			{Reason: awsbatch.JobStateTimeLimitActionsReason_INSUFFICIENT_INSTANCE_CAPACITY, MaxTime: awscdk.Duration_Minutes(jsii.Number(30))},
		},
	})
}

// batchJob is what step 5 builds.
type batchJob struct {
	role       awsiam.Role
	logGroup   awslogs.LogGroup
	container  awsbatch.EcsEc2ContainerDefinition
	definition awsbatch.EcsJobDefinition
}

// trainingJob is step 5, the job definition: the training image built from handson/ by
// `cdk deploy` (no docker push by hand, nothing left in a repository of this stack),
// the course's 4 vCPU / 1 GPU / 12000 MiB, at most 2 hours per attempt, retried only
// when a spot host is reclaimed. Its role may only write into the results bucket.
func trainingJob(stack awscdk.Stack, bucket awss3.Bucket, gpu bool) batchJob {
	var j batchJob
	image := awsecs.ContainerImage_FromAsset(jsii.String(project.Path(simpleBatchImageDirectory)), &awsecs.AssetImageProps{
		Platform: awsecrassets.Platform_LINUX_AMD64(), // also when deploying from an arm64 Mac
	})
	j.role = awsiam.NewRole(stack, jsii.String("JobRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("SimpleBatch training jobs: may only write objects into the results bucket"),
	})
	j.role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:PutObject"),
		Resources: jsii.Strings(*bucket.ArnForObjects(jsii.String("*"))),
	}))
	j.logGroup = awslogs.NewLogGroup(stack, jsii.String("JobLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_TWO_WEEKS,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	var gpus *float64
	if gpu {
		gpus = jsii.Number(simplebatch.JobGpus)
	}
	j.container = awsbatch.NewEcsEc2ContainerDefinition(stack, jsii.String("TrainingContainer"), &awsbatch.EcsEc2ContainerDefinitionProps{
		Image:   image,
		Cpu:     jsii.Number(simplebatch.JobVcpus),
		Memory:  awscdk.Size_Mebibytes(jsii.Number(simplebatch.JobMemoryMiB)),
		Gpu:     gpus,
		JobRole: j.role,
		// The client replaces these arguments with each grid point's.
		Command:     jsii.Strings("--lr", "0.0100", "--momentum", "0.5000", "--epochs", "10", "--uploadS3", "true"),
		Environment: &map[string]*string{"BUCKET_NAME": bucket.BucketName()},
		Logging:     awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{StreamPrefix: jsii.String("training"), LogGroup: j.logGroup}),
	})
	j.definition = awsbatch.NewEcsJobDefinition(stack, jsii.String("JobDefinition"), &awsbatch.EcsJobDefinitionProps{
		Container:     j.container,
		Timeout:       awscdk.Duration_Hours(jsii.Number(2)),
		RetryAttempts: jsii.Number(3),
		RetryStrategies: &[]awsbatch.RetryStrategy{
			awsbatch.RetryStrategy_Of(awsbatch.Action_RETRY, awsbatch.Reason_SPOT_INSTANCE_RECLAIMED()),
			// Batch retries when no rule matches: a failing script must stop at once.
			awsbatch.RetryStrategy_Of(awsbatch.Action_EXIT, awsbatch.Reason_Custom(&awsbatch.CustomReason{OnReason: jsii.String("*")})),
		},
	})
	return j
}

func allocationStrategy(spot bool) awsbatch.AllocationStrategy {
	if spot {
		return awsbatch.AllocationStrategy_SPOT_PRICE_CAPACITY_OPTIMIZED
	}
	return awsbatch.AllocationStrategy_BEST_FIT_PROGRESSIVE
}

// ssmParameter writes one String parameter whose name is fixed (the client reads it).
func ssmParameter(stack awscdk.Stack, id, name string, value *string) {
	awsssm.NewStringParameter(stack, jsii.String(id), &awsssm.StringParameterProps{
		ParameterName: jsii.String(name),
		StringValue:   value,
		Description:   jsii.String("Read by go run ./cmd/sweep"),
	})
}

// suppressSimpleBatchNag records why the remaining cdk-nag findings are accepted, each
// at the narrowest scope.
func suppressSimpleBatchNag(stack awscdk.Stack, bucket awss3.Bucket, job batchJob, computeEnv awsbatch.ManagedEc2EcsComputeEnvironment) {
	suppress(job.role, true, nagReason{"AwsSolutions-IAM5",
		"The job writes objects whose names depend on its arguments; s3:PutObject on this one bucket's objects is the narrowest grant.",
		[]any{"Resource::<" + *stack.GetLogicalId(bucket.Node().DefaultChild().(awscdk.CfnElement)) + ".Arn>/*"}})
	suppress(job.container.ExecutionRole(), true, nagReason{"AwsSolutions-IAM5",
		"CDK's image-pull grant: ecr:GetAuthorizationToken only exists on resource *; the pull itself is scoped to the asset repository.",
		[]any{"Resource::*"}})
	suppress(computeEnv, true, nagReason{"AwsSolutions-IAM4",
		"AmazonEC2ContainerServiceforEC2Role is the AWS-maintained minimum for an ECS host (register with the cluster, pull images, send logs); a hand-written copy would need the same wildcards and go stale.",
		[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"}})
}
