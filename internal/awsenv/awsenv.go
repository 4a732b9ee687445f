// Package awsenv builds the AWS SDK configuration of every command-line client of the
// project, in this one place: region and credentials the way the AWS CLI finds them
// (--region/--profile over AWS_REGION/AWS_PROFILE over ~/.aws/config), the retry
// policy, the timeouts of each attempt and of each call, and one-line explanations
// of every way it can fail.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

// The retry policy and the timeouts. AWS's retry behaviour
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html):
// the standard mode retries throttling, 5xx answers and connection errors (timeouts
// included) with exponential back-off and jitter, up to max_attempts tries in all.
const (
	// MaxAttempts is the number of tries of one call, the first included (the SDK's
	// default is 3). Throttling under the clients' bulk commands (invoke-many,
	// batch-write) needs more. AWS_MAX_ATTEMPTS, the documented setting, overrides it.
	MaxAttempts = 10
	// MaxBackoff caps the wait between two tries (the standard mode's own cap).
	MaxBackoff = 20 * time.Second
	// DialTimeout bounds opening a connection and its TLS handshake.
	DialTimeout = 10 * time.Second
	// AttemptTimeout bounds the wait for the answer's headers once the request is
	// sent: AWS answers these APIs in well under a second, so an endpoint that took
	// the request and stays silent this long is retried, never waited on for minutes.
	// It starts after the request body is written, so uploads of any size are fine.
	AttemptTimeout = 15 * time.Second
	// CallTimeout bounds one call, every try and back-off included (a streaming
	// answer's body, such as an S3 download, is read outside it).
	CallTimeout = 90 * time.Second
)

// Options are what Load needs; the zero value of a field means its default.
type Options struct {
	Region, Profile string        // the --region and --profile flags ("" = not given)
	AttemptTimeout  time.Duration // default AttemptTimeout
	CallTimeout     time.Duration // default CallTimeout
}

// Load returns a configuration with a region and working credentials, the retry
// policy and the timeouts above. AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>)
// are honoured by the SDK itself, which is how the tests point the clients at a local
// server.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	if o.AttemptTimeout == 0 {
		o.AttemptTimeout = AttemptTimeout
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = CallTimeout
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(Retryer),
		awsconfig.WithHTTPClient(HTTPClient(o.AttemptTimeout)),
		awsconfig.WithAPIOptions(deadlineAPIOptions(o.CallTimeout)),
	}
	if o.Region != "" {
		opts = append(opts, awsconfig.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var missing awsconfig.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			return aws.Config{}, fmt.Errorf("AWS profile %q not found: create it with `aws configure --profile %s`, or drop --profile/AWS_PROFILE", missing.Profile, missing.Profile)
		}
		return aws.Config{}, fmt.Errorf("cannot read your AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: pass --region (for example --region ap-northeast-1), set AWS_REGION, or run `aws configure`")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return aws.Config{}, ctx.Err()
		}
		return aws.Config{}, errors.New("no AWS credentials found: run `aws configure` (or `aws sso login`), then check with `aws sts get-caller-identity`")
	}
	return cfg, nil
}

// Retryer is the standard mode with more tries (the tests give it to their own SDK clients). Client-side retry quotas are off:
// a learner's client sends at most a hundred requests at once, and a throttled bulk
// command should slow down and finish rather than fail with "retry quota exceeded".
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts()
		o.MaxBackoff = MaxBackoff
		o.RateLimiter = ratelimit.None
	})
}

// maxAttempts is AWS_MAX_ATTEMPTS when set to a positive number, else MaxAttempts
// (WithRetryer replaces the SDK's own reading of the variable).
func maxAttempts() int {
	if n, err := strconv.Atoi(os.Getenv("AWS_MAX_ATTEMPTS")); err == nil && n > 0 {
		return n
	}
	return MaxAttempts
}

// HTTPClient is the SDK's HTTP client with bounded connection set-up and a bound on
// the wait for an answer's headers (attempt). Services whose calls legitimately wait
// longer (a synchronous Lambda invoke runs the function first) pass their own.
func HTTPClient(attempt time.Duration) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = DialTimeout }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = DialTimeout
			tr.ResponseHeaderTimeout = attempt
		})
}

// Explain turns an AWS API error into one line that names the call and, for the
// common causes, the fix.
func Explain(call string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var deadline *DeadlineError
	if errors.As(err, &deadline) {
		return fmt.Errorf("%s: %w", call, deadline)
	}
	var timeout interface{ Timeout() bool }
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr):
	case errors.As(err, &timeout) && timeout.Timeout():
		return fmt.Errorf("%s: AWS did not answer in time, even after retries: check your network connection (and AWS_ENDPOINT_URL, if set), then run again", call)
	default:
		return fmt.Errorf("%s failed: %v", call, err)
	}
	switch apiErr.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError":
		return fmt.Errorf("%s was denied: your credentials lack this permission (%s)", call, apiErr.ErrorMessage())
	case "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return fmt.Errorf("%s: your AWS credentials were rejected (%s): run `aws configure` or `aws sso login` again", call, apiErr.ErrorCode())
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded":
		return fmt.Errorf("%s was throttled even after retries: wait a minute and run again", call)
	}
	return fmt.Errorf("%s failed: %s: %s", call, apiErr.ErrorCode(), apiErr.ErrorMessage())
}
