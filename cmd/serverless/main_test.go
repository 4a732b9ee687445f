package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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

	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// createTable makes a table shaped as SimpleDynamoDb's.
func createTable(t *testing.T, db *dynamodb.Client, name string) {
	t.Helper()
	if _, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("item_id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("item_id"), KeyType: ddbtypes.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
}

// A table in moto and a SimpleDynamoDb stack whose TableName output names it.
func TestDynamoDbCommandsThroughTheStackOutput(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	db := dynamodb.NewFromConfig(moto.Config())
	createTable(t, db, "SimpleDynamoDb-SimpleTable-ABC")
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

	if code, out, _ := runCmd(t, "clear", "--yes"); code != 0 || !strings.Contains(out, "Deleted 61 items") {
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
	t.Chdir(dir) // without --out: into downloads/, which .gitignore lists
	if code, _, errOut := runCmd(t, "download", "fish/nemo.jpg"); code != 0 {
		t.Fatalf("download without --out = %d %s", code, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "downloads", "nemo.jpg")); !bytes.Equal(got, data) {
		t.Errorf("download without --out: downloads/nemo.jpg has %d bytes, want the %d uploaded", len(got), len(data))
	}
	code, _, errOut := runCmd(t, "download", "nope.jpg", "--out", filepath.Join(dir, "nope.jpg"))
	if code != 1 || errOut != "error: no object \"nope.jpg\" in bucket simples3-bucket-xyz (upload lists the key it used)\n" {
		t.Errorf("download of a missing key = %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.jpg")); err == nil {
		t.Error("a failed download left a file")
	}
	// Issue 14: a key is free text. Japanese and emoji sequences go through; a bidi
	// override is refused in one line that names it, before any request.
	if code, out, errOut := runCmd(t, "upload", src, "--key", "魚/👨\u200d👩\u200d👧.jpg"); code != 0 || !strings.Contains(out, "s3://simples3-bucket-xyz/魚/👨\u200d👩\u200d👧.jpg") {
		t.Errorf("upload with a Japanese and emoji key = %d %s %s", code, out, errOut)
	}
	code, _, errOut = runCmd(t, "upload", src, "--key", "fish\u202egpj.exe")
	if code != 1 || !strings.HasPrefix(errOut, `error: upload: the key "fish\u202egpj.exe": character 5, U+202E RIGHT-TO-LEFT OVERRIDE (bidi, Cf), is not allowed`) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("upload with a bidi override in the key = %d %q", code, errOut)
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
		code int
		want string
	}{
		"lambda not deployed": {[]string{"invoke"}, 1, "error: stack SimpleLambda is not deployed in us-east-1: run `npx cdk deploy SimpleLambda`"},
		"table not deployed":  {[]string{"read"}, 1, "error: stack SimpleDynamoDb is not deployed in us-east-1: run `npx cdk deploy SimpleDynamoDb`"},
		"bucket not deployed": {[]string{"download", "x", "--out", t.TempDir()}, 1, "error: stack SimpleS3 is not deployed in us-east-1: run `npx cdk deploy SimpleS3`"},
		"missing arg":         {[]string{"batch-write"}, 2, "error: batch-write needs 1 argument: serverless batch-write N [flags] (see serverless batch-write --help)"},
		"extra arg":           {[]string{"read", "all"}, 2, `error: read takes no arguments, got 1 (see serverless read --help)`},
		"bad number":          {[]string{"batch-write", "ten", "--table", "t"}, 2, `error: batch-write "ten": give a whole number from 1 to 1000000`},
		"bad flag":            {[]string{"read", "--bucket", "b"}, 2, "error: read: flag provided but not defined: -bucket (see serverless read --help)"},
		"unknown":             {[]string{"invoke_many"}, 2, `error: unknown command "invoke_many": the commands are`},
		"no command":          {nil, 2, "error: give a command: batch-write, clear, download, invoke,"},
		"no file":             {[]string{"upload", "/nonexistent/file", "--bucket", "b"}, 2, "error: stat /nonexistent/file: no such file or directory"},
		"a folder":            {[]string{"upload", t.TempDir(), "--bucket", "b"}, 2, "is not a regular file (a directory): give the path of a file"},
		"no table":            {[]string{"read", "--table", "missing"}, 1, "error: scanning missing failed: ResourceNotFoundException: "},
		"bad key":             {[]string{"download", "fish/", "--bucket", "b"}, 2, `error: download "fish/": give the key of an object`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCmd(t, c.args...)
			lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
			if code != c.code || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("exit %d, stderr %q; want %d and one line with %q", code, errOut, c.code, c.want)
			}
		})
	}
	t.Setenv("AWS_REGION", "")
	if code, _, errOut := runCmd(t, "read"); code != 1 || !strings.HasPrefix(errOut, "error: no AWS region: ") {
		t.Errorf("without a region: %d %q", code, errOut)
	}
}

// Arguments are checked before anything needs AWS: without a region, a bad argument
// is what the learner hears about.
func TestArgumentsAreCheckedBeforeAWS(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_PROFILE", "")
	existing := filepath.Join(t.TempDir(), "hostname")
	os.WriteFile(existing, []byte("mine"), 0o644)
	cases := map[string]struct {
		args []string
		want string
	}{
		"invoke-many 0":      {[]string{"invoke-many", "0"}, `error: invoke-many "0": give a whole number from 1 to 10000`},
		"concurrency":        {[]string{"invoke-many", "5", "--concurrency", "500"}, "error: --concurrency 500: use 1 to 100"},
		"search":             {[]string{"search-under-age", "old"}, `error: search-under-age "old": give a whole number`},
		"upload /dev/zero":   {[]string{"upload", "/dev/zero", "--bucket", "B"}, "error: /dev/zero is not a regular file (a device): give the path of a file"},
		"download over file": {[]string{"download", "hostname", "--out", existing}, "error: download: " + existing + " already exists: add --force to replace it"},
		"download no folder": {[]string{"download", "k", "--out", "/nonexistent/dir/f"}, "error: download: folder /nonexistent/dir does not exist"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCmd(t, c.args...)
			if code != 2 || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and one line starting %q", code, errOut, c.want)
			}
		})
	}
	if got, _ := os.ReadFile(existing); string(got) != "mine" {
		t.Errorf("the existing file now holds %q", got)
	}
}

// --region and --profile work before and after the command; --help on every command
// exits 0 with a description and an example.
func TestGlobalFlagsAndHelp(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	t.Setenv("AWS_REGION", "")
	for _, args := range [][]string{
		{"--region", "us-east-1", "read", "--table", "missing"},
		{"read", "--table", "missing", "--region=us-east-1"},
		{"read", "--region", "us-east-1", "--table", "missing"},
	} {
		if code, _, errOut := runCmd(t, args...); code != 1 || !strings.HasPrefix(errOut, "error: scanning missing failed: ResourceNotFoundException") {
			t.Errorf("%q = %d %q: want the table's error, so the region was taken", args, code, errOut)
		}
	}
	for _, args := range [][]string{{"--profile", "nope", "read"}, {"read", "--profile", "nope"}} {
		if code, _, errOut := runCmd(t, args...); code != 1 || !strings.HasPrefix(errOut, `error: AWS profile "nope" not found`) {
			t.Errorf("%q = %d %q", args, code, errOut)
		}
	}
	if code, out, _ := runCmd(t, "--help"); code != 0 || !strings.Contains(out, "Commands:") || !strings.Contains(out, "Exit status: 0 ok; 1 failed") {
		t.Errorf("--help = %d\n%s", code, out)
	}
	for _, c := range newProgram().Commands {
		for _, args := range [][]string{{c.Name, "--help"}, {c.Name, "-h"}, {"help", c.Name}, {"--region", "x", c.Name, "1", "-h"}} {
			code, out, errOut := runCmd(t, args...)
			if code != 0 || errOut != "" || !strings.Contains(out, "serverless "+c.Name+": "+c.Summary) || !strings.Contains(out, "Example:\n  serverless "+c.Name) {
				t.Errorf("%q = %d %q\n%s", args, code, errOut, out)
			}
		}
	}
}

// download never replaces a file silently, keeps the mode of what it replaces (else
// 0644), and writes inside --out DIR.
func TestDownloadTargets(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	client := s3.NewFromConfig(moto.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bucket-b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket-b"), Key: aws.String("etc/hostname"), Body: strings.NewReader("new")}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	// Without --out: downloads/<the key's last part> (git ignores downloads/), made if missing.
	if code, out, errOut := runCmd(t, "download", "etc/hostname", "--bucket", "bucket-b"); code != 0 || !strings.Contains(out, "to downloads/hostname (3 bytes)") {
		t.Fatalf("download = %d %s %s", code, out, errOut)
	}
	if info, err := os.Stat("downloads/hostname"); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("new file: %v %v, want mode 0644", info, err)
	}
	// --out FILE over an existing file: refused without --force; --force keeps its mode.
	os.WriteFile("hostname", []byte("mine"), 0o640)
	os.Chmod("hostname", 0o640)
	if code, _, errOut := runCmd(t, "download", "etc/hostname", "--bucket", "bucket-b", "--out", "hostname"); code != 2 || !strings.Contains(errOut, "hostname already exists: add --force") {
		t.Errorf("over an existing file = %d %q", code, errOut)
	}
	if got, _ := os.ReadFile("hostname"); string(got) != "mine" {
		t.Errorf("the refused download changed the file: %q", got)
	}
	if code, _, errOut := runCmd(t, "download", "etc/hostname", "--bucket", "bucket-b", "--out", "hostname", "--force"); code != 0 {
		t.Fatalf("--force = %d %q", code, errOut)
	}
	if info, _ := os.Stat("hostname"); info.Mode().Perm() != 0o640 {
		t.Errorf("--force left mode %v, want the replaced file's 0640", info.Mode())
	}
	// --out DIR: the file goes inside it, and no temporary file stays.
	sub := filepath.Join(dir, "mine")
	os.Mkdir(sub, 0o755)
	if code, out, errOut := runCmd(t, "download", "etc/hostname", "--bucket", "bucket-b", "--out", sub); code != 0 || !strings.Contains(out, filepath.Join(sub, "hostname")) {
		t.Fatalf("--out DIR = %d %s %s", code, out, errOut)
	}
	entries, _ := os.ReadDir(sub)
	if got, _ := os.ReadFile(filepath.Join(sub, "hostname")); string(got) != "new" || len(entries) != 1 {
		t.Errorf("--out DIR: %q, %d entries (no temporary file may stay)", got, len(entries))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("%d entries in the working folder, want downloads, hostname and mine", len(entries))
	}
}

// clear asks first: without a terminal it refuses (exit 2) unless --yes; "no" keeps
// everything.
func TestClearAsksFirst(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	db := dynamodb.NewFromConfig(moto.Config())
	createTable(t, db, "t")
	if code, _, errOut := runCmd(t, "batch-write", "3", "--table", "t"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := runCmd(t, "clear", "--table", "t"); code != 2 || errOut != "error: serverless clear needs a confirmation: run it in a terminal, or add --yes\n" {
		t.Errorf("clear without a terminal = %d %q", code, errOut)
	}
	cli.IsTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { cli.IsTerminal = terminal })
	var out, errOut bytes.Buffer
	code := newProgram().Run(context.Background(), []string{"clear", "--table", "t"}, strings.NewReader("no\n"), &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "Delete all 3 items of table t? Type yes to confirm: ") || !strings.Contains(out.String(), "Nothing deleted.") {
		t.Errorf("answering no = %d %q %q", code, out.String(), errOut.String())
	}
	out.Reset()
	code = newProgram().Run(context.Background(), []string{"clear", "--table", "t"}, strings.NewReader("yes\n"), &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "Deleted 3 items from t") {
		t.Errorf("answering yes = %d %q", code, out.String())
	}
}

var terminal = cli.IsTerminal
