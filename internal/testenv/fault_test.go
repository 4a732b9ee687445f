package testenv

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Each protocol's error shape is parsed by the SDK as AWS's is: the right code and
// HTTP status reach the caller (retries off), and with the SDK's retryer the same call
// succeeds through the faults.
func TestFaultErrorsHaveEachProtocolsShape(t *testing.T) {
	m := StartMoto(t)
	ctx := context.Background()
	calls := []struct {
		service, op, code string
		status            int
		call              func(cfg aws.Config) error
	}{
		{"dynamodb", "ListTables", "ProvisionedThroughputExceededException", 400, func(cfg aws.Config) error {
			_, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
			return err
		}},
		{"ecs", "ListClusters", "ThrottlingException", 400, func(cfg aws.Config) error {
			_, err := ecs.NewFromConfig(cfg).ListClusters(ctx, &ecs.ListClustersInput{})
			return err
		}},
		{"ssm", "DescribeParameters", "ThrottlingException", 400, func(cfg aws.Config) error {
			_, err := ssm.NewFromConfig(cfg).DescribeParameters(ctx, &ssm.DescribeParametersInput{})
			return err
		}},
		{"cloudformation", "DescribeStacks", "Throttling", 400, func(cfg aws.Config) error {
			_, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{})
			return err
		}},
		{"ec2", "DescribeInstances", "RequestLimitExceeded", 503, func(cfg aws.Config) error {
			_, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}},
		{"lambda", "ListFunctions", "TooManyRequestsException", 429, func(cfg aws.Config) error {
			_, err := lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
			return err
		}},
		{"batch", "describejobqueues", "TooManyRequestsException", 429, func(cfg aws.Config) error {
			_, err := batch.NewFromConfig(cfg).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
			return err
		}},
		{"s3", "ListObjectsV2", "SlowDown", 503, func(cfg aws.Config) error {
			_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("b")})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.service, func(t *testing.T) {
			sc := Scenario{Name: "shape", Seed: 1, Rules: []Rule{{Name: "r", Service: c.service, Ops: []string{c.op}, Kind: KindError,
				Status: c.status, Code: c.code, Message: "Rate exceeded", Every: 2}}}
			p := StartFaults(t, m.Endpoint, sc)
			cfg := (&Moto{Endpoint: p.URL}).Config()
			cfg.RetryMaxAttempts = 1
			// Two calls: with Every 2, exactly one of them is refused (the seed picks which).
			errs := []error{c.call(cfg), c.call(cfg)}
			var refused error
			for _, err := range errs {
				var apiErr smithy.APIError
				if errors.As(err, &apiErr) && apiErr.ErrorCode() == c.code {
					refused = err
				}
			}
			if refused == nil {
				t.Fatalf("no %s among %v", c.code, errs)
			}
			var re *smithyhttp.ResponseError
			if !errors.As(refused, &re) || re.HTTPStatusCode() != c.status {
				t.Errorf("%v: want HTTP %d", refused, c.status)
			}
			if n := p.Injected()["r"][c.service+"."+c.op]; n != 1 {
				t.Errorf("recorded %v, want one %s.%s", p.Injected(), c.service, c.op)
			}
			// The SDK's retryer (standard, 3 attempts) gets through.
			cfg.RetryMaxAttempts = 3
			for i := 0; i < 2; i++ {
				if err := c.call(cfg); err != nil {
					var apiErr smithy.APIError
					if errors.As(err, &apiErr) && apiErr.ErrorCode() == c.code {
						t.Errorf("retried call still fails: %v", err)
					}
				}
			}
		})
	}
}

// A reset connection and a slow answer: the SDK retries the first and waits for the
// second; both are recorded.
func TestFaultResetAndSlow(t *testing.T) {
	m := StartMoto(t)
	ctx := context.Background()
	p := StartFaults(t, m.Endpoint, Scenario{Name: "reset-slow", Seed: 7, Rules: []Rule{
		{Name: "reset", Service: "ssm", Ops: []string{"PutParameter"}, Kind: KindReset, Every: 1, Limit: 1},
		{Name: "slow", Service: "ssm", Ops: []string{"GetParameter"}, Kind: KindSlow, Delay: 50e6, Every: 1},
	}})
	cfg := (&Moto{Endpoint: p.URL}).Config()
	cfg.RetryMaxAttempts = 1
	client := ssm.NewFromConfig(cfg)
	_, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/T/x"), Value: aws.String("v"), Type: "String"})
	if err == nil {
		t.Fatal("a reset connection was not an error without retries")
	}
	client = ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.RetryMaxAttempts = 3 })
	if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/T/x"), Value: aws.String("v"), Type: "String", Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/T/x")})
	if err != nil || aws.ToString(out.Parameter.Value) != "v" {
		t.Fatalf("slow GetParameter: %v", err)
	}
	inj := p.Injected()
	if inj["reset"]["ssm.PutParameter"] != 1 || inj["slow"]["ssm.GetParameter"] != 1 {
		t.Errorf("recorded %v", inj)
	}
}

// DynamoDB's eventually consistent Scan misses a just-written item for Lag reads; a
// strongly consistent read sees it at once.
func TestFaultLagHidesNewItemsFromEventuallyConsistentReads(t *testing.T) {
	m := StartMoto(t)
	ctx := context.Background()
	p := StartFaults(t, m.Endpoint, Scenario{Name: "lag", Seed: 1, Rules: []Rule{{Name: "lag", Service: "dynamodb", Kind: KindLag, Lag: 2}}})
	db := dynamodb.NewFromConfig((&Moto{Endpoint: p.URL}).Config())
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("t"), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("item_id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("item_id"), KeyType: ddbtypes.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: map[string]ddbtypes.AttributeValue{"item_id": &ddbtypes.AttributeValueMemberS{Value: "a"}}}); err != nil {
		t.Fatal(err)
	}
	var counts []int32
	for i := 0; i < 3; i++ {
		out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("t")})
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, out.Count)
	}
	if counts[0] != 0 || counts[1] != 0 || counts[2] != 1 {
		t.Errorf("eventually consistent scans counted %v, want [0 0 1]", counts)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: map[string]ddbtypes.AttributeValue{"item_id": &ddbtypes.AttributeValueMemberS{Value: "b"}}}); err != nil {
		t.Fatal(err)
	}
	out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("t"), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Count != 2 {
		t.Errorf("consistent scan: %v, %v", out, err)
	}
	if n := p.Injected()["lag"]["dynamodb.Scan"]; n != 2 {
		t.Errorf("recorded %v", p.Injected())
	}
}

// The same seed gives the same faults on the same calls; the phase is the seed's.
func TestFaultsAreDeterministic(t *testing.T) {
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) })
	backendSrv := httptest.NewServer(backend)
	t.Cleanup(backendSrv.Close)
	srv := backendSrv.URL
	pattern := func(seed uint64) string {
		p := StartFaults(t, srv, Scenario{Name: "every3", Seed: seed, Rules: []Rule{{Name: "t", Kind: KindError, Status: 400, Code: "ThrottlingException", Every: 3, Burst: 1}}})
		var s []byte
		for i := 0; i < 9; i++ {
			resp, err := http.Post(p.URL, "application/x-amz-json-1.0", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == 400 {
				s = append(s, 'x')
			} else {
				s = append(s, '.')
			}
		}
		return string(s)
	}
	a, b := pattern(42), pattern(42)
	if a != b {
		t.Errorf("seed 42 gave %s then %s", a, b)
	}
	if n := strings.Count(a, "x"); n != 3 {
		t.Errorf("every 3rd of 9 calls: %s", a)
	}
}
