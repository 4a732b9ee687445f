// Command serverless is hands-on #5's client, replacing the course's Python scripts
// (invoke_many.py, simple_write.py, simple_read.py, batch_rw.py, simple_s3.py):
//
//	go run ./cmd/serverless invoke                    # SimpleLambda, wait for the answer
//	go run ./cmd/serverless invoke-many 100           # SimpleLambda, 100 asynchronous runs
//	go run ./cmd/serverless write | read              # SimpleDynamoDb
//	go run ./cmd/serverless batch-write 1000 | search-under-age 20 | clear
//	go run ./cmd/serverless upload photo.jpg [--key K] | download K [--out F]   # SimpleS3
//
// The function, table and bucket names come from the stacks' outputs in the region of
// your AWS CLI profile, or from --function / --table / --bucket.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/handsons"
)

const usage = `usage: serverless <command> [arguments] [flags]

SimpleLambda (--function NAME, default: the stack's FunctionName output):
  invoke                           run the function once and print its answer and log
  invoke-many N [--concurrency C]  start N asynchronous runs, C requests at a time (default 10)

SimpleDynamoDb (--table NAME, default: the stack's TableName output):
  write                            write one item (John Doe, 25)
  read                             print every item
  batch-write N                    write N items with random ages 1-50
  search-under-age AGE             print the items younger than AGE
  clear                            delete every item

SimpleS3 (--bucket NAME, default: the stack's BucketName output):
  upload FILE [--key KEY]          upload a file (key: the file's name)
  download KEY [--out FILE]        download an object (file: the key's last part)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one sub-command: the stack it works with and its output, and what it does.
type command struct {
	stack, output, flag string
	minArgs, maxArgs    int
	run                 func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]command{
	"invoke":           {handsons.SimpleLambda, "FunctionName", "function", 0, 0, invoke},
	"invoke-many":      {handsons.SimpleLambda, "FunctionName", "function", 1, 1, invokeMany},
	"write":            {handsons.SimpleDynamoDb, "TableName", "table", 0, 0, write},
	"read":             {handsons.SimpleDynamoDb, "TableName", "table", 0, 0, read},
	"batch-write":      {handsons.SimpleDynamoDb, "TableName", "table", 1, 1, batchWrite},
	"search-under-age": {handsons.SimpleDynamoDb, "TableName", "table", 1, 1, searchUnderAge},
	"clear":            {handsons.SimpleDynamoDb, "TableName", "table", 0, 0, clearTable},
	"upload":           {handsons.SimpleS3, "BucketName", "bucket", 1, 1, upload},
	"download":         {handsons.SimpleS3, "BucketName", "bucket", 1, 1, download},
}

// env is what a command works with.
type env struct {
	cfg         aws.Config
	name        string // function, table or bucket
	out         io.Writer
	concurrency int
	key, file   string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cli.Run(ctx, args, stdout, stderr, usage, dispatch)
}

func dispatch(ctx context.Context, args []string, stdout io.Writer) error {
	name := args[0]
	cmd, ok := commands[name]
	if !ok {
		var names []string
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("unknown command %q; the commands are %s (serverless --help)", name, strings.Join(names, ", "))
	}
	e := &env{out: stdout}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&e.name, cmd.flag, "", "")
	if name == "invoke-many" {
		fs.IntVar(&e.concurrency, "concurrency", 10, "")
	}
	if name == "upload" {
		fs.StringVar(&e.key, "key", "", "")
	}
	if name == "download" {
		fs.StringVar(&e.file, "out", "", "")
	}
	positional, err := cli.Parse(fs, args[1:], "serverless --help")
	if err != nil {
		return err
	}
	if len(positional) < cmd.minArgs || len(positional) > cmd.maxArgs {
		return fmt.Errorf("%s: wrong arguments (serverless --help shows: %s)", name, usageLine(name))
	}

	cfg, err := awsenv.Load(ctx, "", "")
	if err != nil {
		return err
	}
	e.cfg = cfg
	if e.name == "" {
		if e.name, err = awsenv.Output(ctx, cfg, cmd.stack, cmd.output); err != nil {
			return err
		}
	}
	return cmd.run(ctx, e, positional)
}

// usageLine is the command's line of the usage text, without its explanation.
func usageLine(name string) string {
	for _, l := range strings.Split(usage, "\n") {
		if l = strings.TrimSpace(l); l == name || strings.HasPrefix(l, name+" ") {
			synopsis, _, _ := strings.Cut(l, "  ")
			return synopsis
		}
	}
	return name
}

func count(arg, what string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s %q: give a whole number from %d to %d", what, arg, lo, hi)
	}
	return n, nil
}

// --- SimpleLambda ---

func invoke(ctx context.Context, e *env, _ []string) error {
	start := time.Now()
	out, err := lambda.NewFromConfig(e.cfg).Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(e.name),
		LogType:      lambdatypes.LogTypeTail,
	})
	if err != nil {
		return awsenv.Explain("invoking "+e.name, err)
	}
	fmt.Fprintf(e.out, "%s (%.1f s)\n", out.Payload, time.Since(start).Seconds())
	if logs, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult)); err == nil && len(logs) > 0 {
		fmt.Fprintf(e.out, "--- the function's log ---\n%s", logs)
	}
	if out.FunctionError != nil {
		return fmt.Errorf("the function failed (%s): %s", aws.ToString(out.FunctionError), out.Payload)
	}
	return nil
}

func invokeMany(ctx context.Context, e *env, args []string) error {
	n, err := count(args[0], "invoke-many", 1, 10000)
	if err != nil {
		return err
	}
	if e.concurrency < 1 || e.concurrency > 100 {
		return fmt.Errorf("--concurrency %d: use 1 to 100", e.concurrency)
	}
	client := lambda.NewFromConfig(e.cfg)
	start := time.Now()
	sent, err := cli.Parallel(ctx, n, e.concurrency, func(int) error {
		if _, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(e.name), InvocationType: lambdatypes.InvocationTypeEvent}); err != nil {
			return awsenv.Explain("invoking "+e.name, err)
		}
		fmt.Fprint(e.out, ".")
		return nil
	})
	fmt.Fprintf(e.out, "\nSubmitted %d of %d asynchronous invocations of %s in %.1f s.\n", sent, n, e.name, time.Since(start).Seconds())
	fmt.Fprintln(e.out, "Each runs 2-5 s; watch them in the Lambda console (Monitor tab) or with the stack's LogsCommand output.")
	return err
}

// --- SimpleDynamoDb ---

func newItemID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func person(age int) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		"item_id":    &ddbtypes.AttributeValueMemberS{Value: newItemID()},
		"first_name": &ddbtypes.AttributeValueMemberS{Value: "John"},
		"last_name":  &ddbtypes.AttributeValueMemberS{Value: "Doe"},
		"age":        &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(age)},
	}
}

func write(ctx context.Context, e *env, _ []string) error {
	item := person(25)
	if _, err := dynamodb.NewFromConfig(e.cfg).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.name), Item: item}); err != nil {
		return awsenv.Explain("writing to "+e.name, err)
	}
	fmt.Fprintf(e.out, "Wrote %s to %s\n", toJSON(item), e.name)
	return nil
}

// scan walks the whole table (page by page: one Scan answers at most 1 MB). The reads
// are strongly consistent: an item written a moment ago (write, batch-write) is read and
// cleared; an eventually consistent Scan may miss it
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html).
func scan(ctx context.Context, e *env, input *dynamodb.ScanInput, each func(map[string]ddbtypes.AttributeValue) error) error {
	input.TableName = aws.String(e.name)
	input.ConsistentRead = aws.Bool(true)
	p := dynamodb.NewScanPaginator(dynamodb.NewFromConfig(e.cfg), input)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return awsenv.Explain("scanning "+e.name, err)
		}
		for _, item := range page.Items {
			if err := each(item); err != nil {
				return err
			}
		}
	}
	return nil
}

func read(ctx context.Context, e *env, _ []string) error {
	n := 0
	err := scan(ctx, e, &dynamodb.ScanInput{}, func(item map[string]ddbtypes.AttributeValue) error {
		n++
		_, err := fmt.Fprintln(e.out, toJSON(item))
		return err
	})
	if err == nil {
		fmt.Fprintf(e.out, "%d items in %s\n", n, e.name)
	}
	return err
}

func searchUnderAge(ctx context.Context, e *env, args []string) error {
	age, err := count(args[0], "search-under-age", 0, 1000)
	if err != nil {
		return err
	}
	n := 0
	err = scan(ctx, e, &dynamodb.ScanInput{
		FilterExpression:          aws.String("age < :age"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":age": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(age)}},
	}, func(item map[string]ddbtypes.AttributeValue) error {
		n++
		_, err := fmt.Fprintln(e.out, toJSON(item))
		return err
	})
	if err == nil {
		fmt.Fprintf(e.out, "%d items younger than %d in %s\n", n, age, e.name)
	}
	return err
}

func batchWrite(ctx context.Context, e *env, args []string) error {
	n, err := count(args[0], "batch-write", 1, 1000000)
	if err != nil {
		return err
	}
	var requests []ddbtypes.WriteRequest
	for range n {
		requests = append(requests, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: person(1 + mrand.IntN(50))}})
	}
	if err := writeBatches(ctx, e, requests); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "\nWrote %d items to %s\n", n, e.name)
	return nil
}

func clearTable(ctx context.Context, e *env, _ []string) error {
	var requests []ddbtypes.WriteRequest
	err := scan(ctx, e, &dynamodb.ScanInput{ProjectionExpression: aws.String("item_id")}, func(item map[string]ddbtypes.AttributeValue) error {
		requests = append(requests, ddbtypes.WriteRequest{DeleteRequest: &ddbtypes.DeleteRequest{Key: item}})
		return nil
	})
	if err != nil {
		return err
	}
	if err := writeBatches(ctx, e, requests); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "\nDeleted %d items from %s\n", len(requests), e.name)
	return nil
}

// writeBatches sends BatchWriteItem calls of 25 (DynamoDB's limit), 4 at a time, and
// sends again whatever DynamoDB could not process (throttling), with back-off.
func writeBatches(ctx context.Context, e *env, requests []ddbtypes.WriteRequest) error {
	db := dynamodb.NewFromConfig(e.cfg)
	batches := (len(requests) + 24) / 25
	_, err := cli.Parallel(ctx, batches, 4, func(i int) error {
		batch := requests[i*25 : min((i+1)*25, len(requests))]
		wait := 100 * time.Millisecond
		for len(batch) > 0 {
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{e.name: batch}})
			if err != nil {
				return awsenv.Explain("batch writing to "+e.name, err)
			}
			if batch = out.UnprocessedItems[e.name]; len(batch) > 0 {
				time.Sleep(wait)
				wait = min(2*wait, 5*time.Second)
			}
		}
		fmt.Fprint(e.out, ".")
		return nil
	})
	return err
}

// toJSON renders an item as one line of JSON with numbers as numbers.
func toJSON(item map[string]ddbtypes.AttributeValue) string {
	m := map[string]any{}
	for k, v := range item {
		switch t := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			m[k] = t.Value
		case *ddbtypes.AttributeValueMemberN:
			m[k] = json.Number(t.Value)
		case *ddbtypes.AttributeValueMemberBOOL:
			m[k] = t.Value
		default:
			m[k] = fmt.Sprintf("%T", v)
		}
	}
	raw, _ := json.Marshal(m)
	return string(raw)
}

// --- SimpleS3 ---

func s3Client(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A local endpoint (tests) has no DNS names per bucket.
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	})
}

func upload(ctx context.Context, e *env, args []string) error {
	path := args[0]
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload: %v", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		return fmt.Errorf("upload %s: not a file", path)
	}
	key := e.key
	if key == "" {
		key = filepath.Base(path)
	}
	if _, err := s3Client(e.cfg).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(e.name), Key: aws.String(key), Body: f, ContentLength: aws.Int64(info.Size()),
	}); err != nil {
		return awsenv.Explain(fmt.Sprintf("uploading %s to s3://%s/%s", path, e.name, key), err)
	}
	fmt.Fprintf(e.out, "Uploaded %s (%s) to s3://%s/%s\n", path, bytesText(info.Size()), e.name, key)
	return nil
}

func download(ctx context.Context, e *env, args []string) error {
	key := args[0]
	path := e.file
	if path == "" {
		path = filepath.Base(key)
	}
	out, err := s3Client(e.cfg).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.name), Key: aws.String(key)})
	if err != nil {
		var missing *s3types.NoSuchKey
		if errors.As(err, &missing) {
			return fmt.Errorf("no object %q in bucket %s (upload lists the key it used)", key, e.name)
		}
		return awsenv.Explain(fmt.Sprintf("downloading s3://%s/%s", e.name, key), err)
	}
	defer out.Body.Close()
	// Write next to the target and rename, so a failed download leaves no half file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".download-*")
	if err != nil {
		return fmt.Errorf("download: %v", err)
	}
	n, err := io.Copy(tmp, out.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("download s3://%s/%s to %s: %v", e.name, key, path, err)
	}
	fmt.Fprintf(e.out, "Downloaded s3://%s/%s to %s (%s)\n", e.name, key, path, bytesText(n))
	return nil
}

func bytesText(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}
