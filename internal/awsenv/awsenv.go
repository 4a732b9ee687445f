// Package awsenv loads the AWS SDK configuration for the project's command-line
// clients, the way the AWS CLI does (--region/--profile over AWS_REGION/AWS_PROFILE over
// ~/.aws/config), and turns every way it can fail into one line that says what to do.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

// Load returns a configuration with a region and working credentials. region and
// profile are the command's flags ("" = not given). AWS_ENDPOINT_URL is honoured by the
// SDK itself, which is how the tests point the clients at a local server.
func Load(ctx context.Context, region, profile string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	opts = append(opts, awsconfig.WithRetryer(Retryer))
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
		return aws.Config{}, errors.New("no AWS credentials found: run `aws configure` (or `aws sso login`), then check with `aws sts get-caller-identity`")
	}
	return cfg, nil
}

// Retryer is the SDK's standard retryer with room for the throttling and transient
// errors AWS answers under load (ThrottlingException, 500, 503, reset connections):
// 10 attempts, exponential back-off with jitter up to 20 s
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 10
		o.MaxBackoff = 20 * time.Second
	})
}

// Explain turns an AWS API error into one line that names the call and, for the
// common causes, the fix.
func Explain(call string, err error) error {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
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
