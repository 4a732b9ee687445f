package testenv

import (
	"slices"
	"time"
)

// The named scenarios every client's end-to-end tests run under. Each takes the SigV4
// service names the client uses ("http" for an unsigned HTTP API), so that every rule of
// a scenario is one the client meets; Applies says whether a scenario has any.

// Read-after-write lag, for the services where AWS documents it.
func LagScenarios(services ...string) []Scenario {
	var out []Scenario
	if slices.Contains(services, "ecs") {
		out = append(out, Scenario{Name: "ecs-missing", Seed: 19,
			// ECS API reference, RunTask: "The Amazon ECS API follows an eventual consistency
			// model ... Run the DescribeTasks command using an exponential backoff algorithm
			// to ensure that you allow enough time for the previous command to propagate";
			// until then DescribeTasks answers the new task under failures, reason MISSING.
			// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
			Cite:  "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html (eventual consistency)",
			Rules: []Rule{{Name: "missing", Service: "ecs", Kind: KindLag, Lag: 2}}})
	}
	if slices.Contains(services, "batch") {
		out = append(out, Scenario{Name: "batch-unlisted", Seed: 19,
			// AWS Batch is eventually consistent like the other control planes: a job just
			// submitted may not appear in DescribeJobs/ListJobs yet (DescribeJobs answers an
			// empty list for ids it does not know, not an error).
			// https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html
			Cite:  "https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html",
			Rules: []Rule{{Name: "unlisted", Service: "batch", Kind: KindLag, Lag: 2}}})
	}
	if slices.Contains(services, "dynamodb") {
		out = append(out, Scenario{Name: "dynamodb-stale-read", Seed: 19,
			// DynamoDB: "eventually consistent reads ... might not reflect the results of a
			// recently completed write operation"; Scan and Query read that way unless
			// ConsistentRead is true.
			// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html
			Cite:  "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html",
			Rules: []Rule{{Name: "stale", Service: "dynamodb", Kind: KindLag, Lag: 2}}})
	}
	// SSM and CloudFormation: the clients only read them (what `cdk deploy` wrote long
	// before), so their read-after-write lag is never met and no scenario models it.
	return out
}

// throttleRule is each service's throttling answer, as its API reference gives it.
func throttleRule(service string, every, burst int) Rule {
	r := Rule{Name: "throttle-" + service, Service: service, Kind: KindError, Every: every, Burst: burst}
	switch service {
	case "dynamodb":
		// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
		r.Status, r.Code, r.Message = 400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded."
	case "batch", "lambda":
		// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (429 TooManyRequestsException);
		// Batch: https://docs.aws.amazon.com/batch/latest/APIReference/CommonErrors.html
		r.Status, r.Code, r.Message = 429, "TooManyRequestsException", "Rate exceeded"
	case "cloudformation", "iam", "sts":
		// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html
		r.Status, r.Code, r.Message = 400, "Throttling", "Rate exceeded"
	case "ec2":
		// https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
		r.Status, r.Code, r.Message = 503, "RequestLimitExceeded", "Request limit exceeded."
	case "s3":
		// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (503 SlowDown)
		r.Status, r.Code, r.Message = 503, "SlowDown", "Please reduce your request rate."
	case "http":
		// API Gateway stage throttling: 429 {"message":"Too Many Requests"}
		// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
		r.Status, r.Code, r.Message = 429, "TooManyRequestsException", "Too Many Requests"
	default: // ecs, ssm, logs (JSON protocols): https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html
		r.Status, r.Code, r.Message = 400, "ThrottlingException", "Rate exceeded"
	}
	return r
}

// LostAnswerScenario: the write takes effect but its answer is lost (a connection
// reset after the server processed it), so the SDK sends it again. A retried write must
// be idempotent: ECS RunTask dedups by clientToken (the SDK fills it in), a conditional
// PutItem of a fresh id finds its own item.
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html (clientToken);
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
func LostAnswerScenario(service string, ops ...string) Scenario {
	return Scenario{Name: "lost-answer", Seed: 10,
		Cite:  "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html (clientToken: idempotent retries)",
		Rules: []Rule{{Name: "lost-" + service, Service: service, Ops: ops, Kind: KindLostAnswer, Every: 3}}}
}

// TransientScenarios: throttling every Nth call and in bursts, 500s, 503s, reset
// connections and slow answers, on every service the client uses. The SDK's retryer
// (internal/awsenv.Retryer) must carry every call through.
func TransientScenarios(services ...string) []Scenario {
	each := func(f func(s string) Rule) []Rule {
		var rules []Rule
		for _, s := range services {
			rules = append(rules, f(s))
		}
		return rules
	}
	return []Scenario{
		{Name: "throttle-every-4th", Seed: 4,
			Cite:  "AWS General Reference, API request throttling: https://docs.aws.amazon.com/general/latest/gr/api-retries.html",
			Rules: each(func(s string) Rule { return throttleRule(s, 4, 1) })},
		{Name: "throttle-burst", Seed: 5,
			// Throttling comes in bursts when a token bucket empties: three refusals in a row.
			Cite:  "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html (token bucket)",
			Rules: each(func(s string) Rule { return throttleRule(s, 9, 3) })},
		{Name: "internal-error", Seed: 6,
			// 500 InternalFailure / S3 InternalError: "retry the request".
			Cite: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html (InternalFailure 500); https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (InternalError)",
			Rules: each(func(s string) Rule {
				code := "InternalFailure"
				if s == "s3" {
					code = "InternalError"
				}
				return Rule{Name: "500-" + s, Service: s, Kind: KindError, Status: 500, Code: code, Message: "We encountered an internal error. Please try again.", Every: 4}
			})},
		{Name: "unavailable", Seed: 7,
			Cite: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html (ServiceUnavailable 503)",
			Rules: each(func(s string) Rule {
				return Rule{Name: "503-" + s, Service: s, Kind: KindError, Status: 503, Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server.", Every: 4}
			})},
		{Name: "connection-reset", Seed: 8,
			// Connections dropped by NATs and load balancers: "connection reset by peer",
			// retried by the SDK (aws/aws-sdk-go-v2#1529).
			Cite: "https://github.com/aws/aws-sdk-go-v2/issues/1529 (connection reset retried)",
			Rules: each(func(s string) Rule {
				return Rule{Name: "reset-" + s, Service: s, Kind: KindReset, Every: 4}
			})},
		{Name: "slow", Seed: 9,
			// A slow answer (bounded: 150 ms, far below every timeout; no test measures it).
			Cite: "https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html",
			Rules: each(func(s string) Rule {
				return Rule{Name: "slow-" + s, Service: s, Kind: KindSlow, Delay: 150 * time.Millisecond, Every: 3}
			})},
	}
}
