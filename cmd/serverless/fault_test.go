package main

// Every sub-command under every fault scenario that applies
// (internal/testenv/scenarios.go): the same results as without faults.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

func TestFaultsEveryCommand(t *testing.T) {
	moto := testenv.StartMoto(t)
	rie := testenv.StartRIE(t, testenv.BuildLambda(t, "handson/simplelambda"), "WAIT_SECONDS=0-0")
	services := []string{"cloudformation", "dynamodb", "s3", "lambda"}
	scenarios := append(testenv.LagScenarios(services...), testenv.TransientScenarios(services...)...)
	ctx := context.Background()
	invocations := 0
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			if err := moto.Reset(); err != nil {
				t.Fatal(err)
			}
			moto.SetEnv(t)
			db := tableAndBucket(t, moto)
			moto.CreateStack(t, "SimpleDynamoDb", map[string]string{"TableName": "tbl"})
			moto.CreateStack(t, "SimpleS3", map[string]string{"BucketName": "bkt"})
			moto.CreateStack(t, "SimpleLambda", map[string]string{"FunctionName": "function"})
			p := testenv.StartFaults(t, moto.Endpoint, sc)
			lp := testenv.StartFaults(t, rie.URL, sc) // the same scenario in front of the Lambda emulator
			t.Setenv("AWS_ENDPOINT_URL", p.URL)
			t.Setenv("AWS_ENDPOINT_URL_LAMBDA", lp.URL)
			items := func() int {
				out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("tbl")})
				if err != nil {
					t.Fatal(err)
				}
				return len(out.Items)
			}
			must := func(what string, code int, out, errOut string, want string) {
				t.Helper()
				if code != 0 || !strings.Contains(out, want) {
					t.Fatalf("%s = %d\n%s\n%s", what, code, out, errOut)
				}
			}

			code, out, errOut := runCmd(t, "write")
			must("write", code, out, errOut, `"first_name":"John"`)
			code, out, errOut = runCmd(t, "read")
			must("read", code, out, errOut, "1 items in tbl")
			code, out, errOut = runCmd(t, "batch-write", "60")
			must("batch-write", code, out, errOut, "Wrote 60 items")
			if n := items(); n != 61 {
				t.Errorf("%d items, want 61 (each written once)", n)
			}
			code, out, errOut = runCmd(t, "search-under-age", "51")
			must("search-under-age", code, out, errOut, "61 items younger than 51")
			code, out, errOut = runCmd(t, "clear", "--yes")
			must("clear", code, out, errOut, "Deleted 61 items")
			if n := items(); n != 0 {
				t.Errorf("%d items after clear", n)
			}

			dir := t.TempDir()
			src := filepath.Join(dir, "nemo.jpg")
			data := bytes.Repeat([]byte("nemo\x00\xff"), 3000)
			os.WriteFile(src, data, 0o644)
			code, out, errOut = runCmd(t, "upload", src)
			must("upload", code, out, errOut, "to s3://bkt/nemo.jpg")
			dst := filepath.Join(dir, "copy.jpg")
			code, out, errOut = runCmd(t, "download", "nemo.jpg", "--out", dst)
			must("download", code, out, errOut, "17.6 KiB")
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
				t.Errorf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
			}

			code, out, errOut = runCmd(t, "invoke")
			must("invoke", code, out, errOut, `"Welcome to Cloud Sushi. Your order is `)
			code, out, errOut = runCmd(t, "invoke-many", "4", "--concurrency", "1")
			must("invoke-many", code, out, errOut, "Submitted 4 of 4 asynchronous invocations")
			invocations += 5
			// Each invocation ran once: none lost, none doubled by a retry.
			deadline := time.Now().Add(30 * time.Second) // bounds a failure only
			for strings.Count(rie.Logs(), "Welcome to Cloud Sushi") < invocations && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := strings.Count(rie.Logs(), "Welcome to Cloud Sushi"); n != invocations {
				t.Errorf("the emulator ran %d invocations in all, want %d", n, invocations)
			}

			p.RequireHit(t, "serverless (aws)")
			if lp.Total() > 0 {
				lp.RequireHit(t, "serverless (lambda)")
			}
		})
	}
}

// Refusals cannot be retried away: one line, exit 1, nothing written.
func TestFaultsRefusalsAreExplained(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	tableAndBucket(t, moto)
	src := filepath.Join(t.TempDir(), "nemo.jpg")
	os.WriteFile(src, []byte("nemo"), 0o644)
	for _, c := range []struct {
		rule testenv.Rule
		args []string
		want string
	}{
		// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html (AccessDeniedException 400)
		{testenv.Rule{Name: "denied", Service: "dynamodb", Ops: []string{"PutItem"}, Kind: testenv.KindError, Status: 400, Code: "AccessDeniedException",
			Message: "User: arn:aws:iam::123456789012:user/learner is not authorized to perform: dynamodb:PutItem", Every: 1},
			[]string{"write", "--table", "tbl"}, "error: writing to tbl was denied: your credentials lack this permission"},
		// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (AccessDenied 403)
		{testenv.Rule{Name: "denied", Service: "s3", Ops: []string{"PutObject"}, Kind: testenv.KindError, Status: 403, Code: "AccessDenied",
			Message: "Access Denied", Every: 1},
			[]string{"upload", src, "--bucket", "bkt"}, "error: uploading " + src + " to s3://bkt/nemo.jpg was denied: your credentials lack this permission"},
	} {
		t.Run(c.rule.Service, func(t *testing.T) {
			p := testenv.StartFaults(t, moto.Endpoint, testenv.Scenario{Name: "access-denied", Seed: 1, Refusal: true, Rules: []testenv.Rule{c.rule}})
			t.Setenv("AWS_ENDPOINT_URL", p.URL)
			code, _, errOut := runCmd(t, c.args...)
			if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, c.want) {
				t.Errorf("exit %d, stderr %q; want 1 and one line %q", code, errOut, c.want)
			}
			if n := p.Total(); n != 1 {
				t.Errorf("refused %d times, want once (a refusal is not retried): %s", n, p.Summary())
			}
			p.RequireHit(t, "serverless "+c.args[0]+" (refusal)")
		})
	}
}

// tableAndBucket makes the table "tbl" and the bucket "bkt" in moto; it returns the
// table's client.
func tableAndBucket(t *testing.T, moto *testenv.Moto) *dynamodb.Client {
	t.Helper()
	db := dynamodb.NewFromConfig(moto.Config())
	createTable(t, db, "tbl")
	if _, err := s3.NewFromConfig(moto.Config(), func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	return db
}
