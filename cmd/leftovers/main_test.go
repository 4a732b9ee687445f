package main

// leftovers runs against moto: a stack synthesized from this app is deployed through
// moto's CloudFormation, and things are left behind on purpose.

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

var moto *testenv.Moto

// moto patched so that describing a deleted stack does not create its resources again
// (leftovers reads deleted stacks of ours to prove which log groups they made).
func TestMain(m *testing.M) { os.Exit(testenv.RunWithPatchedMoto(m, &moto)) }

func fresh(t *testing.T) context.Context {
	t.Helper()
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	moto.SetEnv(t)
	return context.Background()
}

func leftovers(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// lines returns the output lines that start with prefix.
func lines(out, prefix string) []string {
	var got []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(l, prefix) {
			got = append(got, l)
		}
	}
	return got
}

func TestCleanAccountExitsZero(t *testing.T) {
	fresh(t)
	code, out, errOut := leftovers(t)
	if code != exitClean || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if out != "clean: nothing from intro-aws-go is left in us-east-1 (account 123456789012)\n" {
		t.Errorf("stdout = %q", out)
	}
}

// leaveBehind creates what a learner may leave: a tagged bucket with an object whose
// stack is gone, and a Lambda log group named after a hands-on.
func leaveBehind(t *testing.T, ctx context.Context) (bucket, logGroup string) {
	t.Helper()
	cfg := moto.Config()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket = "simples3-bucket-leftover"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket), Tagging: &s3types.Tagging{TagSet: []s3types.Tag{
		{Key: aws.String("Project"), Value: aws.String("intro-aws-go")}, {Key: aws.String("HandsOn"), Value: aws.String("SimpleS3")},
	}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("photo.jpg"), Body: strings.NewReader("jpeg")}); err != nil {
		t.Fatal(err)
	}
	logs := cloudwatchlogs.NewFromConfig(cfg)
	// A log group that a deleted stack of ours created and left (retained).
	logGroup = "/aws/lambda/SimpleLambda-HelloFunction1234-AbCd"
	deployAndDelete(t, ctx, "SimpleLambda", map[string]any{"Logs": map[string]any{
		"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "Properties": map[string]any{"LogGroupName": logGroup}}}, ourTags)
	if _, err := logs.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(logGroup), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(logGroup), LogStreamName: aws.String("s"),
		LogEvents: []logtypes.InputLogEvent{{Message: aws.String("START RequestId: 1"), Timestamp: aws.Int64(1764200000000)}}}); err != nil {
		t.Fatal(err)
	}
	// Not ours: another app's log group, which must never be listed.
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/aws/lambda/OtherApp-Fn")}); err != nil {
		t.Fatal(err)
	}
	return bucket, logGroup
}

func TestFindsStacksTaggedResourcesAndLogGroups(t *testing.T) {
	ctx := fresh(t)
	outdir := testenv.SynthApp(t, nil)
	// One hands-on still deployed, one deployed and destroyed as `cdk destroy` does.
	moto.DeploySynthesized(t, outdir, "MyFirstEc2")
	moto.DeploySynthesized(t, outdir, "SimpleDynamoDb")
	moto.DestroyStack(t, "SimpleDynamoDb")
	bucket, logGroup := leaveBehind(t, ctx)
	s3c := s3.NewFromConfig(moto.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	assets := "cdk-hnb659fds-assets-123456789012-us-east-1"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(assets)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(assets), Key: aws.String("asset.zip"), Body: bytes.NewReader(make([]byte, 2048))}); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := leftovers(t)
	if code != exitLeft || errOut != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	want := []string{
		"left: stack MyFirstEc2: deployed (CREATE_COMPLETE): it bills as its hands-on says → npx cdk destroy MyFirstEc2",
		"left: resource arn:aws:s3:::" + bucket + ": tagged Project=intro-aws-go HandsOn=SimpleS3 → aws s3 rb s3://" + bucket + " --force --region us-east-1",
		"left: log group " + logGroup + ": created by the deleted stack SimpleLambda, ",
		"note: bootstrap s3://" + assets + ": CDK asset bucket, 1 object, 2.0 KiB",
	}
	got := lines(out, "")
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d = %q\n   want prefix %q", i+1, got[i], want[i])
		}
	}
	// The deployed stack's own resources (VPC, instance, ...) are tagged too, but
	// `cdk destroy` removes them: they must not be listed one by one. The destroyed
	// stack is gone with its table.
	if strings.Contains(out, "arn:aws:ec2:") || strings.Contains(out, "SimpleDynamoDb") {
		t.Errorf("resources of a live stack, or the destroyed stack, listed:\n%s", out)
	}
}

func TestDeleteRemovesWhatIsOurs(t *testing.T) {
	ctx := fresh(t)
	bucket, logGroup := leaveBehind(t, ctx)

	code, _, errOut := leftovers(t, "--delete")
	if code != cli.ExitUsage || errOut != "error: leftovers needs a confirmation: run it in a terminal, or add --yes\n" {
		t.Fatalf("--delete without a terminal: exit %d, stderr %q", code, errOut)
	}

	code, out, errOut := leftovers(t, "--delete", "--yes")
	if code != exitClean || errOut != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	for _, want := range []string{"deleted: resource arn:aws:s3:::" + bucket, "deleted: log group " + logGroup} {
		if len(lines(out, want)) != 1 {
			t.Errorf("no %q line in:\n%s", want, out)
		}
	}
	code, out, _ = leftovers(t)
	if code != exitClean || !strings.HasPrefix(out, "clean:") {
		t.Fatalf("after --delete: exit %d\n%s", code, out)
	}
	// Another app's log group was not touched.
	groups, err := cloudwatchlogs.NewFromConfig(moto.Config()).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil || len(groups.LogGroups) != 1 || aws.ToString(groups.LogGroups[0].LogGroupName) != "/aws/lambda/OtherApp-Fn" {
		t.Errorf("log groups after --delete: %v %v", groups, err)
	}
}

func TestBadArgumentsAndNoCredentials(t *testing.T) {
	fresh(t)
	code, _, errOut := leftovers(t, "MyFirstEc2")
	if code != cli.ExitUsage || !strings.HasPrefix(errOut, "error: unexpected argument \"MyFirstEc2\"") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code, _, errOut = leftovers(t)
	if code != cli.ExitFailed || !strings.HasPrefix(errOut, "error: no AWS credentials found") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestHelpAndGlobalFlags(t *testing.T) {
	fresh(t)
	for _, args := range [][]string{{"--help"}, {"-h", "--json"}, {"--region", "x", "--help"}} {
		code, out, errOut := leftovers(t, args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "Usage:\n  leftovers [flags]") || !strings.Contains(out, "Example:\n  leftovers\n") ||
			!strings.Contains(out, "--delete") || !strings.Contains(out, "Exit status: 0 nothing of ours is left") {
			t.Errorf("%q = %d %q\n%s", args, code, errOut, out)
		}
	}
	for _, args := range [][]string{{"--region", "eu-west-1", "--json"}, {"--json", "--region=eu-west-1"}} {
		code, out, errOut := leftovers(t, args...)
		if code != 0 || errOut != "" || !strings.Contains(out, `"region": "eu-west-1"`) || !strings.Contains(out, `"items": []`) {
			t.Errorf("%q = %d %q\n%s", args, code, errOut, out)
		}
	}
	if code, _, errOut := leftovers(t, "--profile", "nope"); code != cli.ExitFailed || !strings.HasPrefix(errOut, `error: AWS profile "nope" not found`) {
		t.Errorf("--profile nope = %d %q", code, errOut)
	}
}

func TestLogGroupNames(t *testing.T) {
	for name, want := range map[string]string{
		"/aws/lambda/SimpleLambda-HelloFunction1234-AbCd": "SimpleLambda",
		"/aws/lambda/Bashoutter-GetHaiku-1":               "Bashoutter",
		"EcsClusterQaBot-TaskLogGroup-XYZ":                "", // no service prefix: only its stack can prove it ours
		"/aws/lambda/SimpleLambdaX":                       "",
		"/aws/lambda/OtherApp-Fn":                         "",
		"/aws/batch/job":                                  "",
	} {
		if got := stackInLogGroupName(name); got != want {
			t.Errorf("stackInLogGroupName(%q) = %q, want %q", name, got, want)
		}
	}
}
