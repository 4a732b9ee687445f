package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// A table in moto and a SimpleDynamoDb stack whose TableName output names it.
func TestDynamoDbCommandsThroughTheStackOutput(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	db := dynamodb.NewFromConfig(moto.Config())
	if _, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("SimpleDynamoDb-SimpleTable-ABC"),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("item_id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("item_id"), KeyType: ddbtypes.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	moto.CreateStack(t, "SimpleDynamoDb", map[string]string{"TableName": "SimpleDynamoDb-SimpleTable-ABC"})
	items := func() []map[string]any {
		out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("SimpleDynamoDb-SimpleTable-ABC")})
		if err != nil {
			t.Fatal(err)
		}
		var list []map[string]any
		for _, it := range out.Items {
			var m map[string]any
			json.Unmarshal([]byte(toJSON(it)), &m)
			list = append(list, m)
		}
		return list
	}

	if code, out, errOut := runCmd(t, "write"); code != 0 || !strings.Contains(out, `"first_name":"John"`) {
		t.Fatalf("write = %d %s %s", code, out, errOut)
	}
	if got := items(); len(got) != 1 || got[0]["age"] != 25.0 || got[0]["last_name"] != "Doe" || len(got[0]["item_id"].(string)) != 36 {
		t.Errorf("after write: %v", got)
	}
	if code, out, _ := runCmd(t, "read"); code != 0 || !strings.Contains(out, `"age":25`) || !strings.Contains(out, "1 items in SimpleDynamoDb-SimpleTable-ABC") {
		t.Errorf("read = %d %s", code, out)
	}

	if code, out, errOut := runCmd(t, "batch-write", "60"); code != 0 || !strings.Contains(out, "Wrote 60 items") {
		t.Fatalf("batch-write = %d %s %s", code, out, errOut)
	}
	all := items()
	if len(all) != 61 {
		t.Fatalf("%d items after batch-write 60, want 61", len(all))
	}
	young := 0
	for _, it := range all {
		if age := it["age"].(float64); age < 1 || age > 50 {
			t.Errorf("age %v out of 1-50", age)
		} else if age < 20 {
			young++
		}
	}
	code, out, _ := runCmd(t, "search-under-age", "20")
	if code != 0 || !strings.Contains(out, strconv.Itoa(young)+" items younger than 20") || strings.Count(out, `"item_id"`) != young {
		t.Errorf("search-under-age 20 = %d, want %d items:\n%s", code, young, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var it map[string]any
		if json.Unmarshal([]byte(line), &it) == nil && it["age"].(float64) >= 20 {
			t.Errorf("search-under-age 20 printed %s", line)
		}
	}

	if code, out, _ := runCmd(t, "clear"); code != 0 || !strings.Contains(out, "Deleted 61 items") {
		t.Errorf("clear = %d %s", code, out)
	}
	if got := items(); len(got) != 0 {
		t.Errorf("%d items after clear", len(got))
	}
}

func TestS3UploadAndDownload(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	client := s3.NewFromConfig(moto.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("simples3-bucket-xyz")}); err != nil {
		t.Fatal(err)
	}
	moto.CreateStack(t, "SimpleS3", map[string]string{"BucketName": "simples3-bucket-xyz"})
	dir := t.TempDir()
	src := filepath.Join(dir, "clownfish.jpg")
	data := bytes.Repeat([]byte("nemo\x00\xff"), 3000)
	os.WriteFile(src, data, 0o644)

	if code, out, errOut := runCmd(t, "upload", src); code != 0 || !strings.Contains(out, "to s3://simples3-bucket-xyz/clownfish.jpg") {
		t.Fatalf("upload = %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "upload", src, "--key", "fish/nemo.jpg"); code != 0 || !strings.Contains(out, "s3://simples3-bucket-xyz/fish/nemo.jpg") {
		t.Fatalf("upload --key = %d %s %s", code, out, errOut)
	}
	dst := filepath.Join(dir, "copy.jpg")
	if code, out, errOut := runCmd(t, "download", "fish/nemo.jpg", "--out", dst); code != 0 || !strings.Contains(out, "17.6 KiB") {
		t.Fatalf("download = %d %s %s", code, out, errOut)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Errorf("downloaded %d bytes differ from the %d uploaded", len(got), len(data))
	}
	code, _, errOut := runCmd(t, "download", "nope.jpg", "--out", filepath.Join(dir, "nope.jpg"))
	if code != 1 || errOut != "error: no object \"nope.jpg\" in bucket simples3-bucket-xyz (upload lists the key it used)\n" {
		t.Errorf("download of a missing key = %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.jpg")); err == nil {
		t.Error("a failed download left a file")
	}
}

// The Lambda Invoke API of the runtime interface emulator runs the real bootstrap.
func TestInvokeThroughTheEmulator(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	rie := testenv.StartRIE(t, testenv.BuildLambda(t, "handson/simplelambda"), "WAIT_SECONDS=0-0")
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", rie.URL)
	moto.CreateStack(t, "SimpleLambda", map[string]string{"FunctionName": "function"})

	code, out, errOut := runCmd(t, "invoke")
	if code != 0 || !strings.HasPrefix(out, `"Welcome to Cloud Sushi. Your order is `) {
		t.Fatalf("invoke = %d %s %s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "invoke-many", "4", "--concurrency", "1")
	if code != 0 || !strings.Contains(out, "Submitted 4 of 4 asynchronous invocations of function") {
		t.Fatalf("invoke-many = %d %s %s", code, out, errOut)
	}
	// The function's log lines arrive a moment after its answers.
	deadline := time.Now().Add(30 * time.Second) // bounds a failure only
	for strings.Count(rie.Logs(), "Welcome to Cloud Sushi") < 5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := strings.Count(rie.Logs(), "Welcome to Cloud Sushi"); n != 5 {
		t.Errorf("the emulator ran %d invocations, want 5 (1 + 4):\n%s", n, rie.Logs())
	}
}

func TestMistakesAreOneLine(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	cases := map[string]struct {
		args []string
		want string
	}{
		"lambda not deployed": {[]string{"invoke"}, "error: stack SimpleLambda is not deployed in us-east-1: run `npx cdk deploy SimpleLambda`"},
		"table not deployed":  {[]string{"read"}, "error: stack SimpleDynamoDb is not deployed in us-east-1: run `npx cdk deploy SimpleDynamoDb`"},
		"bucket not deployed": {[]string{"upload", "x"}, "error: stack SimpleS3 is not deployed in us-east-1: run `npx cdk deploy SimpleS3`"},
		"missing arg":         {[]string{"batch-write"}, "error: batch-write: wrong arguments (serverless --help shows: batch-write N)"},
		"bad number":          {[]string{"batch-write", "ten", "--table", "t"}, `error: batch-write "ten": give a whole number from 1 to 1000000`},
		"bad flag":            {[]string{"read", "--bucket", "b"}, "error: read: flag provided but not defined: -bucket"},
		"unknown":             {[]string{"invoke_many"}, `error: unknown command "invoke_many"; the commands are`},
		"no file":             {[]string{"upload", "/nonexistent/file", "--bucket", "b"}, "error: upload: open /nonexistent/file: no such file or directory"},
		"no table":            {[]string{"read", "--table", "missing"}, "error: scanning missing failed: ResourceNotFoundException: "},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCmd(t, c.args...)
			lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
			if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], c.want) {
				t.Errorf("exit %d, stderr %q; want 1 and one line starting %q", code, errOut, c.want)
			}
		})
	}
	t.Setenv("AWS_REGION", "")
	if code, _, errOut := runCmd(t, "read"); code != 1 || !strings.HasPrefix(errOut, "error: no AWS region: ") {
		t.Errorf("without a region: %d %q", code, errOut)
	}
}
