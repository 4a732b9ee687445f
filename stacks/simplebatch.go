package stacks

import (
	"regexp"
	"strings"

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
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/intro-aws-go/intro-aws-go/constructs"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
)

const (
	// SimpleBatchDefaultInstanceType is the course's GPU instance: 4 vCPU, 16 GiB, one
	// NVIDIA T4.
	SimpleBatchDefaultInstanceType = handsons.SimpleBatchInstanceType
	// SimpleBatchDefaultMaxVcpus is the course's cap: 16 g4dn.xlarge at once.
	SimpleBatchDefaultMaxVcpus = 64
	// SimpleBatchDefaultImageDirectory is the training container's build context,
	// relative to the project root where the CDK CLI runs the app.
	SimpleBatchDefaultImageDirectory = "handson/simplebatch"
	// simpleBatchRootVolumeGiB is each host's root volume: the ECS GPU AMI's 30 GiB
	// snapshot plus room for the multi-GB PyTorch image.
	simpleBatchRootVolumeGiB = 60
)

// SimpleBatchStackProps are the inputs of hands-on #4.
type SimpleBatchStackProps struct {
	awscdk.StackProps
	// InstanceType defaults to SimpleBatchDefaultInstanceType. An NVIDIA GPU type gets
	// the GPU image and jobs that ask for one GPU; any other x86_64 type with at least
	// 4 vCPU and 16 GiB (m5.xlarge, ...) runs the same jobs on CPU, slowly.
	InstanceType string
	// Spot asks for spot instances (price-capacity optimized); jobs whose host is
	// reclaimed are retried.
	Spot bool
	// MaxVcpus caps the compute environment; 0 means SimpleBatchDefaultMaxVcpus.
	MaxVcpus int
	// ImageDirectory is the Docker build context of the training container; empty
	// means SimpleBatchDefaultImageDirectory.
	ImageDirectory string
}

// NewSimpleBatchStack builds hands-on #4 (「Batch を使った機械学習のハイパーパラメータサーチ」):
// a results bucket, an AWS Batch compute environment that scales GPU instances from
// zero, a job queue and a job definition that trains the MNIST model with one learning
// rate and momentum and writes its metrics to the bucket.
func NewSimpleBatchStack(scope cdkconstructs.Construct, id string, props *SimpleBatchStackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)

	instanceType := props.InstanceType
	if instanceType == "" {
		instanceType = SimpleBatchDefaultInstanceType
	}
	maxVcpus := props.MaxVcpus
	if maxVcpus == 0 {
		maxVcpus = SimpleBatchDefaultMaxVcpus
	}
	imageDir := props.ImageDirectory
	if imageDir == "" {
		imageDir = SimpleBatchDefaultImageDirectory
	}
	gpu := IsNvidiaGpuInstanceType(instanceType)

	// 1. The bucket where every job writes its metrics_lr…_m….csv: private, TLS only,
	//    emptied and deleted by `cdk destroy`.
	bucket := constructs.NewPrivateBucket(stack, "Bucket", &constructs.PrivateBucketProps{AutoDeleteObjects: true})

	// 2. The network: the course's 10.10.0.0/23, public subnets only, no NAT gateway.
	//    Batch hosts get a public IP to pull the image and reach S3; no port is open.
	network := constructs.NewPublicVpc(stack, "Network", &constructs.PublicVpcProps{AzCount: 2})

	// 3. The compute environment: GPU instances from 0 to maxVcpus vCPUs, so it costs
	//    nothing while no job runs. The launch template requires IMDSv2 and encrypts
	//    the root volume; Batch picks the newest ECS-optimized Amazon Linux 2023 image
	//    for the instance type (the NVIDIA one for GPU types) in whatever region.
	launchTemplate := awsec2.NewLaunchTemplate(stack, jsii.String("HostLaunchTemplate"), &awsec2.LaunchTemplateProps{
		RequireImdsv2: jsii.Bool(true),
		BlockDevices: &[]*awsec2.BlockDevice{{
			DeviceName: jsii.String("/dev/xvda"),
			Volume: awsec2.BlockDeviceVolume_Ebs(jsii.Number(simpleBatchRootVolumeGiB), &awsec2.EbsDeviceOptions{
				VolumeType:          awsec2.EbsDeviceVolumeType_GP3,
				Encrypted:           jsii.Bool(true),
				DeleteOnTermination: jsii.Bool(true),
			}),
		}},
	})
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
		Spot:                      jsii.Bool(props.Spot),
		// Spot: the pools least likely to be interrupted, then the cheapest of them
		// (CDK's default for spot, written out); on-demand: the best fitting type.
		AllocationStrategy: allocationStrategy(props.Spot),
		LaunchTemplate:     launchTemplate,
		Images:             &[]*awsbatch.EcsMachineImage{{ImageType: imageType}},
	})
	// Hosts download the image at boot: wait for the route to the internet gateway.
	computeEnv.Node().AddDependency(network.InternetReady())

	// 4. The job queue. Jobs that can never start are cancelled instead of waiting in
	//    RUNNABLE forever (and the client shows why).
	queue := awsbatch.NewJobQueue(stack, jsii.String("JobQueue"), &awsbatch.JobQueueProps{
		ComputeEnvironments: &[]*awsbatch.OrderedComputeEnvironment{{ComputeEnvironment: computeEnv, Order: jsii.Number(1)}},
		Priority:            jsii.Number(1),
		JobStateTimeLimitActions: &[]*awsbatch.JobStateTimeLimitAction{
			{Reason: awsbatch.JobStateTimeLimitActionsReason_JOB_RESOURCE_REQUIREMENT, MaxTime: awscdk.Duration_Minutes(jsii.Number(10))},
			{Reason: awsbatch.JobStateTimeLimitActionsReason_COMPUTE_ENVIRONMENT_MAX_RESOURCE, MaxTime: awscdk.Duration_Minutes(jsii.Number(10))},
			{Reason: awsbatch.JobStateTimeLimitActionsReason_INSUFFICIENT_INSTANCE_CAPACITY, MaxTime: awscdk.Duration_Minutes(jsii.Number(30))},
		},
	})

	// 5. The job definition: the training image built from handson/ by `cdk deploy`
	//    (no docker push by hand, nothing left in a repository of this stack), the
	//    course's 4 vCPU / 1 GPU / 12000 MiB, at most 2 hours per attempt, retried only
	//    when a spot host is reclaimed.
	image := awsecs.ContainerImage_FromAsset(jsii.String(imageDir), &awsecs.AssetImageProps{
		Platform: awsecrassets.Platform_LINUX_AMD64(), // also when deploying from an arm64 Mac
	})
	jobRole := awsiam.NewRole(stack, jsii.String("JobRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("SimpleBatch training jobs: may only write objects into the results bucket"),
	})
	jobRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:PutObject"),
		Resources: jsii.Strings(*bucket.ArnForObjects(jsii.String("*"))),
	}))
	logGroup := awslogs.NewLogGroup(stack, jsii.String("JobLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_TWO_WEEKS,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	var gpus *float64
	if gpu {
		gpus = jsii.Number(simplebatch.JobGpus)
	}
	container := awsbatch.NewEcsEc2ContainerDefinition(stack, jsii.String("TrainingContainer"), &awsbatch.EcsEc2ContainerDefinitionProps{
		Image:   image,
		Cpu:     jsii.Number(simplebatch.JobVcpus),
		Memory:  awscdk.Size_Mebibytes(jsii.Number(simplebatch.JobMemoryMiB)),
		Gpu:     gpus,
		JobRole: jobRole,
		// The client replaces these arguments with each grid point's.
		Command:     jsii.Strings("--lr", "0.0100", "--momentum", "0.5000", "--epochs", "10", "--uploadS3", "true"),
		Environment: &map[string]*string{"BUCKET_NAME": bucket.BucketName()},
		Logging: awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{
			StreamPrefix: jsii.String("training"),
			LogGroup:     logGroup,
		}),
	})
	jobDef := awsbatch.NewEcsJobDefinition(stack, jsii.String("JobDefinition"), &awsbatch.EcsJobDefinitionProps{
		Container:     container,
		Timeout:       awscdk.Duration_Hours(jsii.Number(2)),
		RetryAttempts: jsii.Number(3),
		RetryStrategies: &[]awsbatch.RetryStrategy{
			awsbatch.RetryStrategy_Of(awsbatch.Action_RETRY, awsbatch.Reason_SPOT_INSTANCE_RECLAIMED()),
			// Batch retries when no rule matches: a failing script must stop at once.
			awsbatch.RetryStrategy_Of(awsbatch.Action_EXIT, awsbatch.Reason_Custom(&awsbatch.CustomReason{OnReason: jsii.String("*")})),
		},
	})

	// 6. Where the client finds everything: outputs, and SSM parameters under /SimpleBatch/.
	output(stack, "BucketName", bucket.BucketName(), "Bucket with one metrics_lr…_m….csv per job")
	output(stack, "JobQueueArn", queue.JobQueueArn(), "Job queue to submit the training jobs to")
	output(stack, "JobDefinitionArn", jobDef.JobDefinitionArn(), "Job definition of the MNIST training container")
	output(stack, "LogGroupName", logGroup.LogGroupName(), "CloudWatch Logs group of the training jobs")
	ssmParameter(stack, "BucketNameParameter", simplebatch.ParameterName(simplebatch.ParamBucketName), bucket.BucketName())
	ssmParameter(stack, "JobQueueArnParameter", simplebatch.ParameterName(simplebatch.ParamJobQueueArn), queue.JobQueueArn())
	ssmParameter(stack, "JobDefinitionArnParameter", simplebatch.ParameterName(simplebatch.ParamJobDefinitionArn), jobDef.JobDefinitionArn())
	ssmParameter(stack, "LogGroupNameParameter", simplebatch.ParameterName(simplebatch.ParamLogGroupName), logGroup.LogGroupName())

	suppressSimpleBatchNag(stack, bucket, jobRole, container, computeEnv)
	return stack
}

func allocationStrategy(spot bool) awsbatch.AllocationStrategy {
	if spot {
		return awsbatch.AllocationStrategy_SPOT_PRICE_CAPACITY_OPTIMIZED
	}
	return awsbatch.AllocationStrategy_BEST_FIT_PROGRESSIVE
}

// nvidiaFamilies are the EC2 families with NVIDIA GPUs (g4ad has AMD GPUs).
var nvidiaFamilies = regexp.MustCompile(`^(g[3-9]|gr[0-9]|p[2-9])[a-z0-9-]*$`)

// IsNvidiaGpuInstanceType tells whether an instance type has an NVIDIA GPU, from its
// family name (g4dn, g5, g6, p3, ...); no lookup is needed.
func IsNvidiaGpuInstanceType(instanceType string) bool {
	family, _, _ := strings.Cut(instanceType, ".")
	return nvidiaFamilies.MatchString(family) && !strings.HasPrefix(family, "g4ad")
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
func suppressSimpleBatchNag(stack awscdk.Stack, bucket awss3.Bucket, jobRole awsiam.Role, container awsbatch.EcsEc2ContainerDefinition, computeEnv awsbatch.ManagedEc2EcsComputeEnvironment) {
	cdknag.NagSuppressions_AddResourceSuppressions(jobRole, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("The job writes objects whose names depend on its arguments; s3:PutObject on this one bucket's objects is the narrowest grant."),
		AppliesTo: &[]interface{}{"Resource::<" + *stack.GetLogicalId(bucket.Node().DefaultChild().(awscdk.CfnElement)) + ".Arn>/*"},
	}}, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(container.ExecutionRole(), &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("CDK's image-pull grant: ecr:GetAuthorizationToken only exists on resource *; the pull itself is scoped to the asset repository."),
		AppliesTo: &[]interface{}{"Resource::*"},
	}}, jsii.Bool(true))
	cdknag.NagSuppressions_AddResourceSuppressions(computeEnv, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM4"),
		Reason:    jsii.String("AmazonEC2ContainerServiceforEC2Role is the AWS-maintained minimum for an ECS host (register with the cluster, pull images, send logs); a hand-written copy would need the same wildcards and go stale."),
		AppliesTo: &[]interface{}{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"},
	}}, jsii.Bool(true))
}
