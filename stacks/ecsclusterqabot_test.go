package stacks

import (
	"context"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/jsii-runtime-go"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// qaBot synthesizes EcsClusterQaBot once per key.
func qaBot(t *testing.T, key string, props EcsClusterQaBotStackProps) *synthesized {
	return synth(t, "EcsClusterQaBot/"+key, func(app awscdk.App) awscdk.Stack {
		return NewEcsClusterQaBotStack(app, qabot.StackName, &props)
	})
}

func qaBotDefault(t *testing.T) *synthesized { return qaBot(t, "default", EcsClusterQaBotStackProps{}) }
func qaBotSpot(t *testing.T) *synthesized {
	return qaBot(t, "spot", EcsClusterQaBotStackProps{Spot: true})
}

func TestQaBotTableIsKeyedByItemIDOnDemandAndDestroyed(t *testing.T) {
	s := qaBotDefault(t)
	table := s.only(t, "AWS::DynamoDB::Table")
	if got := jsonText(table["KeySchema"]); got != `[{"AttributeName":"item_id","KeyType":"HASH"}]` {
		t.Errorf("KeySchema = %s, want item_id as the partition key", got)
	}
	if got := jsonText(table["AttributeDefinitions"]); got != `[{"AttributeName":"item_id","AttributeType":"S"}]` {
		t.Errorf("AttributeDefinitions = %s, want item_id string", got)
	}
	if table["BillingMode"] != "PAY_PER_REQUEST" {
		t.Errorf("BillingMode = %v, want on-demand (nothing bills while idle)", table["BillingMode"])
	}
	if r := s.resources("AWS::DynamoDB::Table")[s.logicalID(t, "AWS::DynamoDB::Table")]; r["DeletionPolicy"] != "Delete" {
		t.Errorf("table DeletionPolicy = %v, want Delete", r["DeletionPolicy"])
	}
}

func TestQaBotNetworkIsPublicOnlyWithoutNat(t *testing.T) {
	s := qaBotDefault(t)
	checkNoNatOrIdleBills(t, s)
	if subnet := s.only(t, "AWS::EC2::Subnet"); subnet["MapPublicIpOnLaunch"] != true {
		t.Errorf("subnet %s is not public: tasks could not pull their image without a NAT gateway", jsonText(subnet))
	}
}

func TestQaBotClusterHasFargateAndSpotCapacity(t *testing.T) {
	s := qaBotDefault(t)
	assoc := s.only(t, "AWS::ECS::ClusterCapacityProviderAssociations")
	if got := jsonText(assoc["CapacityProviders"]); got != `["FARGATE","FARGATE_SPOT"]` {
		t.Errorf("capacity providers = %s, want FARGATE and FARGATE_SPOT", got)
	}
	if got := jsonText(assoc["Cluster"]); !strings.Contains(got, s.logicalID(t, "AWS::ECS::Cluster")) {
		t.Errorf("capacity providers attached to %s, not the cluster", got)
	}
	cluster := s.only(t, "AWS::ECS::Cluster")
	if got := jsonText(cluster["ClusterSettings"]); got != `[{"Name":"containerInsights","Value":"disabled"}]` {
		t.Errorf("ClusterSettings = %s, want Container Insights off (billed per metric)", got)
	}
}

func TestQaBotTaskSecurityGroupIsEgressOnly(t *testing.T) {
	s := qaBotDefault(t)
	if rules := ingressRules(s); len(rules) != 0 {
		t.Errorf("inbound rules %s: nothing needs to connect to the task", jsonText(rules))
	}
	sg := s.only(t, "AWS::EC2::SecurityGroup")
	if got := jsonText(sg["SecurityGroupEgress"]); got != `[{"CidrIp":"0.0.0.0/0","Description":"Allow all outbound traffic by default","IpProtocol":"-1"}]` {
		t.Errorf("egress = %s, want all outbound (image pull, DynamoDB, logs)", got)
	}
	param := ssmParameters(s)[qabot.ParamSecurityGroupID]
	if got := jsonText(param); !strings.Contains(got, s.logicalID(t, "AWS::EC2::SecurityGroup")) || !strings.Contains(got, "GroupId") {
		t.Errorf("%s = %s, want this group's id", qabot.ParamSecurityGroupID, got)
	}
	checkNoOpenSSH(t, s)
}

func TestQaBotTaskDefinitionIsSizedAndArchitectureMatchesImage(t *testing.T) {
	for name, c := range map[string]struct {
		s              *synthesized
		arch, platform string
		capacity       string
	}{
		"default": {qaBotDefault(t), "ARM64", "linux/arm64", "FARGATE"},
		"spot":    {qaBotSpot(t), "X86_64", "linux/amd64", "FARGATE_SPOT"},
	} {
		t.Run(name, func(t *testing.T) {
			td := c.s.only(t, "AWS::ECS::TaskDefinition")
			if td["Cpu"] != "256" || td["Memory"] != "512" || td["NetworkMode"] != "awsvpc" || jsonText(td["RequiresCompatibilities"]) != `["FARGATE"]` {
				t.Errorf("task = cpu %v memory %v network %v compat %v, want a 0.25 vCPU / 512 MiB Fargate task",
					td["Cpu"], td["Memory"], td["NetworkMode"], td["RequiresCompatibilities"])
			}
			if got := dig(td, "RuntimePlatform", "CpuArchitecture"); got != c.arch {
				t.Errorf("CpuArchitecture = %v, want %s", got, c.arch)
			}
			if len(c.s.DockerImages) != 1 || c.s.DockerImages[0].Platform != c.platform {
				t.Errorf("image assets %+v, want one built for %s", c.s.DockerImages, c.platform)
			}
			if got := ssmParameters(c.s)[qabot.ParamCapacityProvider]; got != c.capacity {
				t.Errorf("%s = %v, want %s", qabot.ParamCapacityProvider, got, c.capacity)
			}
		})
	}
}

func TestQaBotContainer(t *testing.T) {
	s := qaBotDefault(t)
	defs, _ := s.only(t, "AWS::ECS::TaskDefinition")["ContainerDefinitions"].([]any)
	if len(defs) != 1 {
		t.Fatalf("want one container, got %s", jsonText(defs))
	}
	c := defs[0].(map[string]any)
	if c["Name"] != qaBotContainerName || c["Essential"] != true || c["ReadonlyRootFilesystem"] != true {
		t.Errorf("container %v essential %v read-only %v", c["Name"], c["Essential"], c["ReadonlyRootFilesystem"])
	}
	if c["Memory"] != 512.0 {
		t.Errorf("container Memory = %v, want 512 (container-level memory, needed by ECS emulators)", c["Memory"])
	}
	if got := jsonText(c["Image"]); !strings.Contains(got, "container-assets") {
		t.Errorf("image %s, want the CDK image asset built from the Dockerfile", got)
	}
	env := map[string]any{}
	for _, kv := range c["Environment"].([]any) {
		env[dig(kv, "Name").(string)] = dig(kv, "Value")
	}
	tableID := s.logicalID(t, "AWS::DynamoDB::Table")
	if jsonText(env[qabot.EnvTableName]) != `{"Ref":"`+tableID+`"}` || env[qabot.EnvThreads] != "1" || len(env) != 2 {
		t.Errorf("environment = %s, want TABLE_NAME of the table and one thread", jsonText(env))
	}
	logs := c["LogConfiguration"].(map[string]any)
	logGroupID := s.logicalID(t, "AWS::Logs::LogGroup")
	if logs["LogDriver"] != "awslogs" || jsonText(dig(logs, "Options", "awslogs-group")) != `{"Ref":"`+logGroupID+`"}` ||
		dig(logs, "Options", "awslogs-stream-prefix") != qaBotLogStreamPrefix {
		t.Errorf("logging = %s, want awslogs to the stack's group with prefix %s", jsonText(logs), qaBotLogStreamPrefix)
	}
}

func TestQaBotImageContextIsTheWorkerOnly(t *testing.T) {
	s := qaBotDefault(t)
	if len(s.DockerImages) != 1 {
		t.Fatalf("want one image asset, got %d", len(s.DockerImages))
	}
	img := s.DockerImages[0]
	if img.Dockerfile != qaBotDockerfile {
		t.Errorf("Dockerfile = %s, want %s", img.Dockerfile, qaBotDockerfile)
	}
	files := map[string]bool{}
	for _, f := range img.Files {
		files[f] = true
		ok := f == "go.mod" || f == "go.sum" || strings.HasPrefix(f, "handson/qabot/") || strings.HasPrefix(f, "handson/contracts/qabot/")
		if !ok || strings.HasSuffix(f, "_test.go") || strings.Contains(f, "/testdata/") || strings.Contains(f, "/tinymodel/") {
			t.Errorf("build context holds %s: only go.mod, go.sum, handson/qabot/ and handson/contracts/qabot/ (no tests or test tooling) belong there", f)
		}
	}
	for _, want := range []string{"go.mod", "go.sum", qaBotDockerfile, "handson/qabot/worker/main.go", "handson/qabot/qa/qa.go", "handson/contracts/qabot/qabot.go"} {
		if !files[want] {
			t.Errorf("build context lacks %s; it has %v", want, img.Files)
		}
	}
	// Every package of this module that the worker imports is in the context, or the
	// image's `go build` fails at deploy time.
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "../handson/qabot/worker").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		dir, ok := strings.CutPrefix(pkg, project.ModulePath+"/")
		if !ok {
			continue
		}
		found := false
		for f := range files {
			found = found || strings.HasPrefix(f, dir+"/") && !strings.Contains(strings.TrimPrefix(f, dir+"/"), "/")
		}
		if !found {
			t.Errorf("the worker imports %s, which is not in the image's build context", pkg)
		}
	}
}

func TestQaBotTaskRoleMayOnlyReadAndUpdateItemsOfItsTable(t *testing.T) {
	s := qaBotDefault(t)
	td := s.only(t, "AWS::ECS::TaskDefinition")
	taskRole, _ := dig(td, "TaskRoleArn", "Fn::GetAtt", 0).(string)
	execRole, _ := dig(td, "ExecutionRoleArn", "Fn::GetAtt", 0).(string)
	if taskRole == "" || execRole == "" || taskRole == execRole {
		t.Fatalf("task role %q, execution role %q: want two distinct roles", taskRole, execRole)
	}
	tableID := s.logicalID(t, "AWS::DynamoDB::Table")
	var taskPolicies int
	for id, p := range s.resources("AWS::IAM::Policy") {
		roles := jsonText(dig(p, "Properties", "Roles"))
		stmts := dig(p, "Properties", "PolicyDocument", "Statement").([]any)
		switch {
		case strings.Contains(roles, `"`+taskRole+`"`):
			taskPolicies++
			want := `[{"Action":["dynamodb:GetItem","dynamodb:UpdateItem"],"Effect":"Allow","Resource":{"Fn::GetAtt":["` + tableID + `","Arn"]}}]`
			if got := jsonText(stmts); got != want {
				t.Errorf("task role policy %s = %s, want %s", id, got, want)
			}
		case strings.Contains(roles, `"`+execRole+`"`):
			for _, st := range stmts {
				for _, a := range toList(dig(st, "Action")) {
					if !strings.HasPrefix(a, "ecr:") && !strings.HasPrefix(a, "logs:") {
						t.Errorf("execution role may %s: it only pulls the image and writes logs", a)
					}
				}
			}
		}
	}
	if taskPolicies != 1 {
		t.Errorf("%d policies on the task role, want 1", taskPolicies)
	}
	if role := s.resources("AWS::IAM::Role")[taskRole]; jsonText(dig(role, "Properties", "ManagedPolicyArns")) != "null" {
		t.Errorf("task role has managed policies %s", jsonText(dig(role, "Properties", "ManagedPolicyArns")))
	}
}

func toList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// ssmParameters maps each parameter's leaf name under /EcsClusterQaBot/ to its value.
func ssmParameters(s *synthesized) map[string]any {
	out := map[string]any{}
	for _, p := range s.resources("AWS::SSM::Parameter") {
		name, _ := dig(p, "Properties", "Name").(string)
		out[strings.TrimPrefix(name, qabot.ParameterPrefix)] = dig(p, "Properties", "Value")
	}
	return out
}

func TestQaBotPublishesWhatTheClientNeedsUnderItsOwnPath(t *testing.T) {
	s := qaBotDefault(t)
	for id, p := range s.resources("AWS::SSM::Parameter") {
		name, _ := dig(p, "Properties", "Name").(string)
		if !strings.HasPrefix(name, "/EcsClusterQaBot/") || dig(p, "Properties", "Type") != "String" {
			t.Errorf("parameter %s = %s (%v), want a String under /EcsClusterQaBot/", id, name, dig(p, "Properties", "Type"))
		}
	}
	params := ssmParameters(s)
	if len(params) != len(qabot.Parameters()) {
		t.Errorf("%d parameters, want %d: %v", len(params), len(qabot.Parameters()), keys(params))
	}
	ref := func(typ string) string { return `{"Ref":"` + s.logicalID(t, typ) + `"}` }
	want := map[string]string{
		qabot.ParamClusterName:       ref("AWS::ECS::Cluster"),
		qabot.ParamTaskDefinitionArn: ref("AWS::ECS::TaskDefinition"),
		qabot.ParamTableName:         ref("AWS::DynamoDB::Table"),
		qabot.ParamSubnet1:           ref("AWS::EC2::Subnet"),
		qabot.ParamLogGroupName:      ref("AWS::Logs::LogGroup"),
		qabot.ParamContainerName:     `"` + qaBotContainerName + `"`,
		qabot.ParamLogStreamPrefix:   `"` + qaBotLogStreamPrefix + `"`,
		qabot.ParamCapacityProvider:  `"FARGATE"`,
	}
	for leaf, w := range want {
		if got := jsonText(params[leaf]); got != w {
			t.Errorf("%s%s = %s, want %s", qabot.ParameterPrefix, leaf, got, w)
		}
	}
}

// `runtask --stack NAME` reads /NAME/: a stack deployed under another name publishes
// there, with the same leaves.
func TestQaBotParametersFollowTheStackName(t *testing.T) {
	s := synth(t, "EcsClusterQaBot/renamed", func(app awscdk.App) awscdk.Stack {
		return NewEcsClusterQaBotStack(app, "QaBotTwo", nil)
	})
	var names []string
	for _, p := range s.resources("AWS::SSM::Parameter") {
		name, _ := dig(p, "Properties", "Name").(string)
		names = append(names, name)
	}
	sort.Strings(names)
	var want []string
	for _, leaf := range qabot.Parameters() {
		want = append(want, "/QaBotTwo/"+leaf)
	}
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("parameters %v, want %v", names, want)
	}
}

func TestQaBotLogsAreKeptAWeekAndDestroyed(t *testing.T) {
	s := qaBotDefault(t)
	id := s.logicalID(t, "AWS::Logs::LogGroup")
	r := s.resources("AWS::Logs::LogGroup")[id]
	if dig(r, "Properties", "RetentionInDays") != 7.0 || r["DeletionPolicy"] != "Delete" {
		t.Errorf("log group = %s, want 7 days retention, deleted with the stack", jsonText(r))
	}
}

func TestQaBotOutputs(t *testing.T) {
	s := qaBotDefault(t)
	if got := jsonText(s.output(t, "ClusterName")); got != `{"Ref":"`+s.logicalID(t, "AWS::ECS::Cluster")+`"}` {
		t.Errorf("ClusterName = %s", got)
	}
	if got := jsonText(s.output(t, "TaskDefinitionArn")); got != `{"Ref":"`+s.logicalID(t, "AWS::ECS::TaskDefinition")+`"}` {
		t.Errorf("TaskDefinitionArn = %s", got)
	}
}

func TestQaBotGatesPass(t *testing.T) {
	configs := map[string]*synthesized{
		"default": qaBotDefault(t),
		"spot":    qaBotSpot(t),
		"pinned": qaBot(t, "pinned", EcsClusterQaBotStackProps{StackProps: awscdk.StackProps{Env: &awscdk.Environment{
			Account: jsii.String("123456789012"), Region: jsii.String("ap-northeast-1"),
		}}}),
	}
	checkGates(t, configs)
}

// The synthesized template, created by CloudFormation as moto serves it: every
// resource comes up, and the SSM parameters the client reads name the resources
// that were made (the table the worker is told about is the one that exists).
func TestQaBotTemplateCreatesInMotoAndParametersResolve(t *testing.T) {
	s := qaBotDefault(t)
	moto := testenv.StartMoto(t)
	ctx := context.Background()
	cfg := moto.Config()
	ssmc := ssm.NewFromConfig(cfg)
	// CDK templates check the bootstrap version; moto needs the parameter to exist.
	if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/cdk-bootstrap/hnb659fds/version"), Value: aws.String("30"), Type: ssmtypes.ParameterTypeString,
	}); err != nil {
		t.Fatal(err)
	}
	// No retries: a retried CreateStack would only answer AlreadyExists.
	cfn := cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) { o.RetryMaxAttempts = 1 })
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(qabot.StackName),
		TemplateBody: aws.String(jsonText(s.Template)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam},
	}); err != nil {
		t.Fatal(err)
	}
	w := cloudformation.NewStackCreateCompleteWaiter(cfn, func(o *cloudformation.StackCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(qabot.StackName)}, time.Minute); err != nil {
		events, _ := cfn.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(qabot.StackName)})
		for _, e := range events.StackEvents {
			if e.ResourceStatusReason != nil {
				t.Logf("%s %s: %s", aws.ToString(e.LogicalResourceId), e.ResourceStatus, aws.ToString(e.ResourceStatusReason))
			}
		}
		t.Fatal(err)
	}

	values := map[string]string{}
	for _, leaf := range qabot.Parameters() {
		out, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(qabot.ParameterName(leaf))})
		if err != nil {
			t.Fatalf("%s: %v", qabot.ParameterName(leaf), err)
		}
		values[leaf] = aws.ToString(out.Parameter.Value)
	}
	table, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(values[qabot.ParamTableName])})
	if err != nil {
		t.Fatalf("%s names no table: %v", qabot.ParamTableName, err)
	}
	if got := aws.ToString(table.Table.KeySchema[0].AttributeName); got != qabot.AttrItemID {
		t.Errorf("table key %s, want %s", got, qabot.AttrItemID)
	}
	if !strings.HasPrefix(values[qabot.ParamSubnet1], "subnet-") || !strings.HasPrefix(values[qabot.ParamSecurityGroupID], "sg-") ||
		!strings.Contains(values[qabot.ParamTaskDefinitionArn], ":task-definition/") || values[qabot.ParamClusterName] == "" {
		t.Errorf("parameters do not name created resources: %v", values)
	}
	stack, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(qabot.StackName)})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{}
	for _, o := range stack.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	if outputs["ClusterName"] != values[qabot.ParamClusterName] || outputs["TaskDefinitionArn"] != values[qabot.ParamTaskDefinitionArn] {
		t.Errorf("outputs %v disagree with the parameters %v", outputs, values)
	}
}
