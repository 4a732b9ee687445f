package stacks

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
)

// simpleBatch synthesizes SimpleBatch with the given props once per distinct key. The
// image's build context is the real one: the asset only needs it to exist at synth.
func simpleBatch(t *testing.T, key string, props SimpleBatchStackProps) *synthesized {
	return synth(t, "SimpleBatch/"+key, func(app awscdk.App) awscdk.Stack {
		return NewSimpleBatchStack(app, "SimpleBatch", &props)
	})
}

func simpleBatchDefault(t *testing.T) *synthesized {
	return simpleBatch(t, "default", SimpleBatchStackProps{})
}

// Spot on another GPU type with a smaller cap, as `-c spot=true -c instance_type=g5.xlarge -c max_vcpus=16`.
func simpleBatchSpot(t *testing.T) *synthesized {
	return simpleBatch(t, "spot", SimpleBatchStackProps{Spot: true, InstanceType: "g5.xlarge", MaxVcpus: new(16)})
}

// A type without a GPU, as when `-c instance_type=m5.xlarge` was meant for this stack
// (CPU training) or for another stack: synth must work either way.
func simpleBatchCPU(t *testing.T) *synthesized {
	return simpleBatch(t, "cpu", SimpleBatchStackProps{InstanceType: "m5.xlarge"})
}

func TestSimpleBatchComputeEnvironmentScalesFromZero(t *testing.T) {
	s := simpleBatchDefault(t)
	ce := s.only(t, "AWS::Batch::ComputeEnvironment")
	cr, _ := ce["ComputeResources"].(map[string]any)
	if ce["Type"] != "managed" || cr["Type"] != "EC2" {
		t.Errorf("compute environment type %v/%v, want managed EC2 (on-demand)", ce["Type"], cr["Type"])
	}
	if cr["MinvCpus"] != 0.0 || cr["MaxvCpus"] != 64.0 {
		t.Errorf("vCPUs min %v max %v, want 0 (nothing runs while idle) and the course's 64", cr["MinvCpus"], cr["MaxvCpus"])
	}
	if _, ok := cr["DesiredvCpus"]; ok {
		t.Errorf("DesiredvCpus set (%v): Batch alone decides how many hosts run", cr["DesiredvCpus"])
	}
	if got := jsonText(cr["InstanceTypes"]); got != `["g4dn.xlarge"]` {
		t.Errorf("instance types %s, want only g4dn.xlarge", got)
	}
	if got := jsonText(cr["Ec2Configuration"]); got != `[{"ImageType":"ECS_AL2023_NVIDIA"}]` {
		t.Errorf("image %s, want Batch's ECS Amazon Linux 2023 NVIDIA image", got)
	}
	if cr["AllocationStrategy"] != "BEST_FIT_PROGRESSIVE" {
		t.Errorf("allocation strategy %v", cr["AllocationStrategy"])
	}
	// The hosts live in the public subnets (public IPs on launch), and only once
	// those reach the internet gateway.
	subnets := jsonText(cr["Subnets"])
	for id, subnet := range s.resources("AWS::EC2::Subnet") {
		if !strings.Contains(subnets, id) {
			t.Errorf("subnet %s not used by the compute environment", id)
		}
		if dig(subnet, "Properties", "MapPublicIpOnLaunch") != true {
			t.Errorf("subnet %s gives no public IP: hosts could not pull the image without a NAT gateway", id)
		}
	}
	if n := s.count("AWS::EC2::Subnet"); n != 2 {
		t.Errorf("%d subnets, want 2 public subnets in two zones (more GPU capacity to pick from)", n)
	}
	deps := jsonText(s.resources("AWS::Batch::ComputeEnvironment")[s.logicalID(t, "AWS::Batch::ComputeEnvironment")]["DependsOn"])
	if !strings.Contains(deps, "DefaultRoute") || strings.Count(deps, "RouteTableAssociation") != 2 {
		t.Errorf("compute environment DependsOn %s: hosts could boot before the subnets reach the internet", deps)
	}
	checkNoNatOrIdleBills(t, s)
}

func TestSimpleBatchSpotAndCapFromContext(t *testing.T) {
	cr, _ := simpleBatchSpot(t).only(t, "AWS::Batch::ComputeEnvironment")["ComputeResources"].(map[string]any)
	if cr["Type"] != "SPOT" || cr["AllocationStrategy"] != "SPOT_PRICE_CAPACITY_OPTIMIZED" {
		t.Errorf("spot: type %v strategy %v, want SPOT with SPOT_PRICE_CAPACITY_OPTIMIZED", cr["Type"], cr["AllocationStrategy"])
	}
	if _, ok := cr["SpotIamFleetRole"]; ok {
		t.Error("a spot fleet role is only needed for BEST_FIT")
	}
	if cr["MaxvCpus"] != 16.0 || jsonText(cr["InstanceTypes"]) != `["g5.xlarge"]` {
		t.Errorf("max %v types %s, want 16 and g5.xlarge", cr["MaxvCpus"], jsonText(cr["InstanceTypes"]))
	}
}

func TestSimpleBatchHostsRequireIMDSv2AndEncryptRootVolume(t *testing.T) {
	s := simpleBatchDefault(t)
	ltID := s.logicalID(t, "AWS::EC2::LaunchTemplate")
	ce := s.only(t, "AWS::Batch::ComputeEnvironment")
	if got := jsonText(dig(ce, "ComputeResources", "LaunchTemplate")); !strings.Contains(got, ltID) {
		t.Fatalf("compute environment launch template %s, want %s", got, ltID)
	}
	data := dig(s.only(t, "AWS::EC2::LaunchTemplate"), "LaunchTemplateData").(map[string]any)
	if dig(data, "MetadataOptions", "HttpTokens") != "required" {
		t.Errorf("metadata options %s, want IMDSv2 (HttpTokens required)", jsonText(data["MetadataOptions"]))
	}
	// Set, and 1: above 1 (or unset, when the AMI may default to 2) containers can
	// reach the host's credentials through IMDS.
	if hop := dig(data, "MetadataOptions", "HttpPutResponseHopLimit"); hop != 1.0 {
		t.Errorf("hop limit %v, want 1: containers must not reach the host's credentials", hop)
	}
	ebs := dig(data, "BlockDeviceMappings", 0, "Ebs")
	if dig(data, "BlockDeviceMappings", 0, "DeviceName") != "/dev/xvda" || dig(ebs, "Encrypted") != true ||
		dig(ebs, "VolumeType") != "gp3" || dig(ebs, "DeleteOnTermination") != true {
		t.Errorf("root volume %s, want an encrypted gp3 /dev/xvda deleted with the host", jsonText(data["BlockDeviceMappings"]))
	}
	// At least the ECS image's 30 GiB snapshot, or hosts fail to launch.
	if size, _ := dig(ebs, "VolumeSize").(float64); size < 30 {
		t.Errorf("root volume %v GiB is smaller than the ECS image", size)
	}
	if _, ok := data["UserData"]; ok {
		t.Error("user data in the launch template: Batch needs MIME multi-part, and we need none")
	}
}

func TestSimpleBatchJobDefinition(t *testing.T) {
	s := simpleBatchDefault(t)
	jd := s.only(t, "AWS::Batch::JobDefinition")
	if jd["Type"] != "container" || jsonText(jd["PlatformCapabilities"]) != `["EC2"]` {
		t.Errorf("job definition type %v on %s", jd["Type"], jsonText(jd["PlatformCapabilities"]))
	}
	cp := jd["ContainerProperties"].(map[string]any)
	got := map[string]string{}
	for _, r := range cp["ResourceRequirements"].([]any) {
		got[dig(r, "Type").(string)] = dig(r, "Value").(string)
	}
	if got["VCPU"] != "4" || got["GPU"] != "1" || got["MEMORY"] != "12000" || len(got) != 3 {
		t.Errorf("resources %v, want the course's 4 vCPU, 1 GPU, 12000 MiB", got)
	}
	if dig(jd, "Timeout", "AttemptDurationSeconds") != 7200.0 {
		t.Errorf("timeout %s, want 2 hours per attempt", jsonText(jd["Timeout"]))
	}
	retry := jsonText(jd["RetryStrategy"])
	if retry != `{"Attempts":3,"EvaluateOnExit":[{"Action":"RETRY","OnStatusReason":"Host EC2*"},{"Action":"EXIT","OnReason":"*"}]}` {
		t.Errorf("retry strategy %s, want retries on a reclaimed spot host only", retry)
	}
	if env := jsonText(cp["Environment"]); !strings.Contains(env, `"Name":"BUCKET_NAME"`) || !strings.Contains(env, s.logicalID(t, "AWS::S3::Bucket")) {
		t.Errorf("environment %s, want BUCKET_NAME of the results bucket", env)
	}
	if got := jsonText(cp["Command"]); got != `["--lr","0.0100","--momentum","0.5000","--epochs","10","--uploadS3","true"]` {
		t.Errorf("default command %s", got)
	}
	logs := cp["LogConfiguration"].(map[string]any)
	if logs["LogDriver"] != "awslogs" || !strings.Contains(jsonText(logs["Options"]), jobLogGroupID(t, s)) {
		t.Errorf("logging %s, want awslogs into the stack's log group", jsonText(logs))
	}
	lg := s.resources("AWS::Logs::LogGroup")[jobLogGroupID(t, s)]
	if dig(lg, "Properties", "RetentionInDays") != 14.0 || lg["DeletionPolicy"] != "Delete" {
		t.Errorf("log group %s, want 14 days and deleted with the stack", jsonText(lg))
	}

	// Without a GPU in the instance type, the same job runs on CPU: no GPU requested
	// (it could never be placed) and the plain ECS image.
	cpu := simpleBatchCPU(t)
	if req := jsonText(dig(cpu.only(t, "AWS::Batch::JobDefinition"), "ContainerProperties", "ResourceRequirements")); strings.Contains(req, "GPU") {
		t.Errorf("m5.xlarge job asks for a GPU: %s", req)
	}
	if img := jsonText(dig(cpu.only(t, "AWS::Batch::ComputeEnvironment"), "ComputeResources", "Ec2Configuration")); img != `[{"ImageType":"ECS_AL2023"}]` {
		t.Errorf("m5.xlarge image %s, want ECS_AL2023", img)
	}
}

func TestSimpleBatchImageIsAnAssetBuiltFromHandson(t *testing.T) {
	s := simpleBatchDefault(t)
	image := jsonText(dig(s.only(t, "AWS::Batch::JobDefinition"), "ContainerProperties", "Image"))
	m := regexp.MustCompile(`container-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}:([0-9a-f]{64})`).FindStringSubmatch(image)
	if m == nil {
		t.Fatalf("image %s is not a CDK image asset in the bootstrap repository", image)
	}
	if s.count("AWS::ECR::Repository") != 0 {
		t.Error("the stack has its own ECR repository: images in it would block cdk destroy")
	}
	if len(s.DockerImages) != 1 || s.DockerImages[0].Hash != m[1] {
		t.Fatalf("image assets %+v, want one with hash %s", s.DockerImages, m[1])
	}
	img := s.DockerImages[0]
	if img.Platform != "linux/amd64" {
		t.Errorf("image platform %v, want linux/amd64 (built the same on arm64 Macs)", img.Platform)
	}
	// The staged build context is handson/simplebatch with its Dockerfile and scripts.
	for _, f := range []string{"Dockerfile", "requirements.txt", "train.py", "simple_mnist.py", "metrics.py"} {
		if !slices.Contains(img.Files, f) {
			t.Errorf("staged build context %v lacks %s", img.Files, f)
		}
	}
}

func TestSimpleBatchJobRoleMayOnlyWriteToTheBucket(t *testing.T) {
	s := simpleBatchDefault(t)
	bucketID := s.logicalID(t, "AWS::S3::Bucket")
	jd := s.only(t, "AWS::Batch::JobDefinition")
	roleRef := jsonText(dig(jd, "ContainerProperties", "JobRoleArn"))
	var jobRoleID string
	for id, role := range s.resources("AWS::IAM::Role") {
		if strings.Contains(roleRef, `"`+id+`"`) {
			jobRoleID = id
			if p := jsonText(dig(role, "Properties", "AssumeRolePolicyDocument", "Statement", 0, "Principal")); p != `{"Service":"ecs-tasks.amazonaws.com"}` {
				t.Errorf("job role trusted by %s", p)
			}
			if _, ok := dig(role, "Properties", "ManagedPolicyArns").([]any); ok {
				t.Errorf("job role has managed policies: %s", jsonText(dig(role, "Properties", "ManagedPolicyArns")))
			}
		}
	}
	if jobRoleID == "" {
		t.Fatalf("job role %s not found", roleRef)
	}
	var statements []string
	for _, p := range s.resources("AWS::IAM::Policy") {
		if strings.Contains(jsonText(dig(p, "Properties", "Roles")), `"`+jobRoleID+`"`) {
			for _, st := range dig(p, "Properties", "PolicyDocument", "Statement").([]any) {
				statements = append(statements, jsonText(st))
			}
		}
	}
	want := `{"Action":"s3:PutObject","Effect":"Allow","Resource":{"Fn::Join":["",[{"Fn::GetAtt":["` + bucketID + `","Arn"]},"/*"]]}}`
	if len(statements) != 1 || statements[0] != want {
		t.Errorf("job role statements %v, want only %s", statements, want)
	}
}

func TestSimpleBatchBucketIsPrivateTLSOnlyAndEmptiedOnDestroy(t *testing.T) {
	s := simpleBatchDefault(t)
	b := s.only(t, "AWS::S3::Bucket")
	pab := jsonText(b["PublicAccessBlockConfiguration"])
	if pab != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
		t.Errorf("public access block %s", pab)
	}
	if _, ok := b["BucketName"]; ok {
		t.Errorf("fixed bucket name %v: a second deploy or another account's bucket would clash", b["BucketName"])
	}
	policy := jsonText(s.only(t, "AWS::S3::BucketPolicy"))
	if !strings.Contains(policy, `"Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny"`) {
		t.Errorf("bucket policy %s does not deny plain HTTP", policy)
	}
	if s.count("Custom::S3AutoDeleteObjects") != 1 {
		t.Error("no auto-delete: cdk destroy would fail on a bucket with metrics in it")
	}
	for id, r := range s.resources("AWS::S3::Bucket") {
		if r["DeletionPolicy"] != "Delete" {
			t.Errorf("bucket %s DeletionPolicy %v", id, r["DeletionPolicy"])
		}
	}
}

func TestSimpleBatchQueueCancelsJobsThatCanNeverStart(t *testing.T) {
	s := simpleBatchDefault(t)
	q := s.only(t, "AWS::Batch::JobQueue")
	if got := jsonText(dig(q, "ComputeEnvironmentOrder", 0, "ComputeEnvironment")); !strings.Contains(got, s.logicalID(t, "AWS::Batch::ComputeEnvironment")) {
		t.Errorf("queue feeds %s", got)
	}
	var reasons []string
	for _, a := range q["JobStateTimeLimitActions"].([]any) {
		if dig(a, "Action") != "CANCEL" || dig(a, "State") != "RUNNABLE" {
			t.Errorf("time limit action %s", jsonText(a))
		}
		reasons = append(reasons, dig(a, "Reason").(string))
	}
	sort.Strings(reasons)
	want := "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"
	if strings.Join(reasons, " ") != want {
		t.Errorf("jobs cancelled for %v, want %s", reasons, want)
	}
}

func TestSimpleBatchParametersAndOutputs(t *testing.T) {
	s := simpleBatchDefault(t)
	want := map[string]string{
		simplebatch.ParameterName(simplebatch.ParamBucketName):       `{"Ref":"` + s.logicalID(t, "AWS::S3::Bucket") + `"}`,
		simplebatch.ParameterName(simplebatch.ParamJobQueueArn):      `{"Fn::GetAtt":["` + s.logicalID(t, "AWS::Batch::JobQueue") + `","JobQueueArn"]}`,
		simplebatch.ParameterName(simplebatch.ParamJobDefinitionArn): `{"Ref":"` + s.logicalID(t, "AWS::Batch::JobDefinition") + `"}`,
		simplebatch.ParameterName(simplebatch.ParamLogGroupName):     `{"Ref":"` + jobLogGroupID(t, s) + `"}`,
	}
	got := map[string]string{}
	for _, p := range s.resources("AWS::SSM::Parameter") {
		props := p["Properties"].(map[string]any)
		if props["Type"] != "String" {
			t.Errorf("parameter %v has type %v", props["Name"], props["Type"])
		}
		got[props["Name"].(string)] = jsonText(props["Value"])
	}
	for name, value := range want {
		if got[name] != value {
			t.Errorf("SSM %s = %s, want %s", name, got[name], value)
		}
	}
	if len(got) != len(want) {
		t.Errorf("SSM parameters %v, want exactly %d under %s", keys(toAny(got)), len(want), simplebatch.ParameterPrefix)
	}
	for name, param := range map[string]string{
		"BucketName": simplebatch.ParameterName(simplebatch.ParamBucketName), "JobQueueArn": simplebatch.ParameterName(simplebatch.ParamJobQueueArn),
		"JobDefinitionArn": simplebatch.ParameterName(simplebatch.ParamJobDefinitionArn), "LogGroupName": simplebatch.ParameterName(simplebatch.ParamLogGroupName),
	} {
		if o := jsonText(s.output(t, name)); o != want[param] {
			t.Errorf("output %s = %s, want %s", name, o, want[param])
		}
	}
}

func toAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestSimpleBatchGatesPass(t *testing.T) {
	configs := map[string]*synthesized{
		"default": simpleBatchDefault(t),
		"spot":    simpleBatchSpot(t),
		"cpu":     simpleBatchCPU(t),
		"pinned": simpleBatch(t, "pinned", SimpleBatchStackProps{StackProps: awscdk.StackProps{Env: &awscdk.Environment{
			Account: jsii.String("123456789012"), Region: jsii.String("ap-northeast-1"),
		}}}),
	}
	checkGates(t, configs)
	for name, s := range configs {
		if rules := ingressRules(s); len(rules) != 0 {
			t.Errorf("%s: inbound rules %s: Batch hosts need none", name, jsonText(rules))
		}
	}
}

// jobLogGroupID is the jobs' log group: the stack's other one is the log group of CDK's
// bucket auto-delete function (constructs.NewPrivateBucket gives it one).
func jobLogGroupID(t *testing.T, s *synthesized) string {
	t.Helper()
	var ids []string
	for id := range s.resources("AWS::Logs::LogGroup") {
		if !strings.HasPrefix(id, "AutoDeleteObjectsLogs") {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("want one job log group, found %v", ids)
	}
	return ids[0]
}
