package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A clean account in --json is an empty list, not null; the bootstrap bucket's note
// counts "1 object", not "1 objects".
func TestCleanJSONAndOneObject(t *testing.T) {
	ctx := fresh(t)
	code, out, errOut := leftovers(t, "--json")
	if code != exitClean || errOut != "" || !strings.Contains(out, `"items": []`) {
		t.Fatalf("--json on a clean account: exit %d, stdout %s, stderr %q; want \"items\": []", code, out, errOut)
	}

	s3c := s3.NewFromConfig(moto.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	bucket := "cdk-hnb659fds-assets-123456789012-us-east-1"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("asset.zip"), Body: strings.NewReader("zip")}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = leftovers(t)
	if code != exitClean || !strings.Contains(out, "CDK asset bucket, 1 object, ") {
		t.Errorf("exit %d, stdout %q; want the bootstrap bucket's note with \"1 object\"", code, out)
	}
}
