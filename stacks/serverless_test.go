package stacks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

var pinnedEnv = awscdk.StackProps{Env: &awscdk.Environment{
	Account: jsii.String("123456789012"), Region: jsii.String("ap-northeast-1"),
}}

func simpleLambda(t *testing.T, key string, props SimpleLambdaStackProps) *synthesized {
	return synth(t, "SimpleLambda/"+key, func(app awscdk.App) awscdk.Stack {
		return NewSimpleLambdaStack(app, "SimpleLambda", &props)
	})
}

func simpleDynamoDb(t *testing.T, key string, props SimpleDynamoDbStackProps) *synthesized {
	return synth(t, "SimpleDynamoDb/"+key, func(app awscdk.App) awscdk.Stack {
		return NewSimpleDynamoDbStack(app, "SimpleDynamoDb", &props)
	})
}

func simpleS3(t *testing.T, key string, props SimpleS3StackProps) *synthesized {
	return synth(t, "SimpleS3/"+key, func(app awscdk.App) awscdk.Stack {
		return NewSimpleS3Stack(app, "SimpleS3", &props)
	})
}

// checkGoLambda checks what every Go function shares: the provided.al2023 runtime on
// arm64 running `bootstrap`, a log group of its own, and a role that Lambda assumes.
func checkGoLambda(t *testing.T, s *synthesized, id string, fn map[string]any) {
	t.Helper()
	p, _ := fn["Properties"].(map[string]any)
	if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" || jsonText(p["Architectures"]) != `["arm64"]` {
		t.Errorf("%s: runtime %v handler %v architectures %v, want provided.al2023, bootstrap, arm64",
			id, p["Runtime"], p["Handler"], p["Architectures"])
	}
	logGroup, _ := dig(p, "LoggingConfig", "LogGroup", "Ref").(string)
	if lg, ok := s.resources("AWS::Logs::LogGroup")[logGroup]; !ok || dig(lg, "Properties", "RetentionInDays") != 7.0 {
		t.Errorf("%s logs to %q, want its own log group kept 7 days", id, logGroup)
	}
	role := roleOf(t, s, fn)
	if got := jsonText(dig(role, "Properties", "AssumeRolePolicyDocument", "Statement", 0, "Principal")); got != `{"Service":"lambda.amazonaws.com"}` {
		t.Errorf("%s role trusted by %s", id, got)
	}
	if managed := dig(role, "Properties", "ManagedPolicyArns"); managed != nil {
		t.Errorf("%s role has managed policies %s: AWSLambdaBasicExecutionRole may write any log group", id, jsonText(managed))
	}
	// Logging: exactly the two write actions, on its own log group.
	found := false
	for _, st := range roleStatements(s, fn) {
		if strings.Contains(jsonText(st["Action"]), "logs:") {
			found = true
			if jsonText(st["Action"]) != `["logs:CreateLogStream","logs:PutLogEvents"]` ||
				jsonText(st["Resource"]) != `{"Fn::GetAtt":["`+logGroup+`","Arn"]}` {
				t.Errorf("%s logging statement %s, want stream writes on its own log group", id, jsonText(st))
			}
		}
	}
	if !found {
		t.Errorf("%s cannot write its logs", id)
	}
}

// roleOf is the AWS::IAM::Role resource a function runs as.
func roleOf(t *testing.T, s *synthesized, fn map[string]any) map[string]any {
	t.Helper()
	id, _ := dig(fn, "Properties", "Role", "Fn::GetAtt", 0).(string)
	role, ok := s.resources("AWS::IAM::Role")[id]
	if !ok {
		t.Fatalf("function role %q is not a role of this stack", id)
	}
	return role
}

// roleStatements collects the statements of every policy attached to a function's role.
func roleStatements(s *synthesized, fn map[string]any) []map[string]any {
	roleID, _ := dig(fn, "Properties", "Role", "Fn::GetAtt", 0).(string)
	var out []map[string]any
	for _, p := range s.resources("AWS::IAM::Policy") {
		if !strings.Contains(jsonText(dig(p, "Properties", "Roles")), `"Ref":"`+roleID+`"`) {
			continue
		}
		for _, st := range dig(p, "Properties", "PolicyDocument", "Statement").([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	return out
}

func TestSimpleLambdaFunction(t *testing.T) {
	s := simpleLambda(t, "default", SimpleLambdaStackProps{})
	id, fn := onlyResource(t, s, "AWS::Lambda::Function")
	checkGoLambda(t, s, id, fn)
	p := fn["Properties"].(map[string]any)
	if p["MemorySize"] != 128.0 || p["Timeout"] != 10.0 {
		t.Errorf("memory %v MB, timeout %v s; want the course's 128 MB and 10 s", p["MemorySize"], p["Timeout"])
	}
	queueID, queue := onlyResource(t, s, "AWS::SQS::Queue")
	if got := jsonText(dig(p, "DeadLetterConfig", "TargetArn")); got != `{"Fn::GetAtt":["`+queueID+`","Arn"]}` {
		t.Errorf("dead-letter target %s, want the stack's queue", got)
	}
	if dig(queue, "Properties", "MessageRetentionPeriod") != 1209600.0 || dig(queue, "Properties", "SqsManagedSseEnabled") != true {
		t.Errorf("queue %s, want 14 days retention and encryption", jsonText(queue["Properties"]))
	}
	if queue["DeletionPolicy"] != "Delete" {
		t.Errorf("queue DeletionPolicy %v", queue["DeletionPolicy"])
	}
	// The role may send to its dead-letter queue and nothing else beyond its logs.
	for _, st := range roleStatements(s, fn) {
		actions := jsonText(st["Action"])
		if strings.Contains(actions, "logs:") {
			continue
		}
		if actions != `"sqs:SendMessage"` || jsonText(st["Resource"]) != `{"Fn::GetAtt":["`+queueID+`","Arn"]}` {
			t.Errorf("unexpected permission %s", jsonText(st))
		}
	}
	if got := jsonText(s.output(t, "FunctionName")); got != `{"Ref":"`+id+`"}` {
		t.Errorf("FunctionName = %s", got)
	}
	logGroup, _ := dig(p, "LoggingConfig", "LogGroup", "Ref").(string)
	if got := jsonText(s.output(t, "LogsCommand")); !strings.Contains(got, `"aws logs tail ",{"Ref":"`+logGroup+`"}," --follow --region ",{"Ref":"AWS::Region"}`) {
		t.Errorf("LogsCommand = %s", got)
	}
	if got := jsonText(s.output(t, "DeadLetterQueueUrl")); got != `{"Ref":"`+queueID+`"}` {
		t.Errorf("DeadLetterQueueUrl = %s", got)
	}
	policy := jsonText(s.only(t, "AWS::SQS::QueuePolicy"))
	if !strings.Contains(policy, `"aws:SecureTransport":"false"`) || !strings.Contains(policy, `"Effect":"Deny"`) {
		t.Errorf("queue policy %s, want TLS enforced", policy)
	}
}

func TestSimpleDynamoDbTable(t *testing.T) {
	s := simpleDynamoDb(t, "default", SimpleDynamoDbStackProps{})
	id, table := onlyResource(t, s, "AWS::DynamoDB::Table")
	p := table["Properties"].(map[string]any)
	if jsonText(p["KeySchema"]) != `[{"AttributeName":"item_id","KeyType":"HASH"}]` ||
		jsonText(p["AttributeDefinitions"]) != `[{"AttributeName":"item_id","AttributeType":"S"}]` {
		t.Errorf("keys %s %s, want the course's item_id (string)", jsonText(p["KeySchema"]), jsonText(p["AttributeDefinitions"]))
	}
	if p["BillingMode"] != "PAY_PER_REQUEST" {
		t.Errorf("BillingMode %v, want on-demand (nothing billed while idle)", p["BillingMode"])
	}
	if table["DeletionPolicy"] != "Delete" {
		t.Errorf("DeletionPolicy %v", table["DeletionPolicy"])
	}
	if got := jsonText(s.output(t, "TableName")); got != `{"Ref":"`+id+`"}` {
		t.Errorf("TableName = %s", got)
	}
}

func TestSimpleS3BucketIsPrivateAndEmptiedOnDestroy(t *testing.T) {
	s := simpleS3(t, "default", SimpleS3StackProps{})
	id, bucket := onlyResource(t, s, "AWS::S3::Bucket")
	checkPrivateBucket(t, s, id, bucket)
	if n := s.count("Custom::S3AutoDeleteObjects"); n != 1 {
		t.Errorf("%d auto-delete resources, want 1: destroy must empty the bucket", n)
	}
	if got := jsonText(s.output(t, "BucketName")); got != `{"Ref":"`+id+`"}` {
		t.Errorf("BucketName = %s", got)
	}
}

// checkPrivateBucket: no public access, encryption, TLS only, deleted with the stack.
func checkPrivateBucket(t *testing.T, s *synthesized, id string, bucket map[string]any) {
	t.Helper()
	p := bucket["Properties"].(map[string]any)
	if got := jsonText(p["PublicAccessBlockConfiguration"]); got != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
		t.Errorf("%s public access block %s", id, got)
	}
	if dig(p, "BucketEncryption", "ServerSideEncryptionConfiguration", 0, "ServerSideEncryptionByDefault", "SSEAlgorithm") != "AES256" {
		t.Errorf("%s not encrypted: %s", id, jsonText(p["BucketEncryption"]))
	}
	if bucket["DeletionPolicy"] != "Delete" {
		t.Errorf("%s DeletionPolicy %v", id, bucket["DeletionPolicy"])
	}
	if p["WebsiteConfiguration"] != nil {
		t.Errorf("%s is a public website bucket", id)
	}
	tls := false
	for _, pol := range s.resources("AWS::S3::BucketPolicy") {
		if jsonText(dig(pol, "Properties", "Bucket")) != `{"Ref":"`+id+`"}` {
			continue
		}
		text := jsonText(pol)
		tls = strings.Contains(text, `"aws:SecureTransport":"false"`) && strings.Contains(text, `"Effect":"Deny"`)
		for _, st := range dig(pol, "Properties", "PolicyDocument", "Statement").([]any) {
			principal := jsonText(dig(st, "Principal"))
			if dig(st, "Effect") == "Allow" && (principal == `"*"` || principal == `{"AWS":"*"}`) {
				t.Errorf("%s policy allows everyone: %s", id, jsonText(st))
			}
		}
	}
	if !tls {
		t.Errorf("%s accepts plain HTTP: no policy denies aws:SecureTransport=false", id)
	}
}

func TestServerlessStacksGatesPass(t *testing.T) {
	configs := map[string]*synthesized{
		"SimpleLambda":          simpleLambda(t, "default", SimpleLambdaStackProps{}),
		"SimpleLambda/pinned":   simpleLambda(t, "pinned", SimpleLambdaStackProps{StackProps: pinnedEnv}),
		"SimpleDynamoDb":        simpleDynamoDb(t, "default", SimpleDynamoDbStackProps{}),
		"SimpleDynamoDb/pinned": simpleDynamoDb(t, "pinned", SimpleDynamoDbStackProps{StackProps: pinnedEnv}),
		"SimpleS3":              simpleS3(t, "default", SimpleS3StackProps{}),
		"SimpleS3/pinned":       simpleS3(t, "pinned", SimpleS3StackProps{StackProps: pinnedEnv}),
	}
	checkServerlessGates(t, configs)
}

// checkServerlessGates are every stack's gates, and log groups that expire.
func checkServerlessGates(t *testing.T, configs map[string]*synthesized) {
	t.Helper()
	checkGates(t, configs)
	for name, s := range configs {
		t.Run(name, func(t *testing.T) { checkLogGroupsExpire(t, s) })
	}
}
