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
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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
	"github.com/intro-aws-go/intro-aws-go/internal/textcheck"
)

func main() { cli.Main(newProgram()) }

// run is the whole client; it returns the exit code (the tests call it).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newProgram().Run(ctx, args, strings.NewReader(""), stdout, stderr)
}

// env is what a command works with: its flags, then the AWS configuration and the
// function, table or bucket.
type env struct {
	cfg         aws.Config
	name        string // function, table or bucket (--function, --table, --bucket)
	out         io.Writer
	n           int // the command's number argument
	concurrency int
	key, file   string
	force, yes  bool
	upload      *os.File // upload's file, opened before AWS is asked
	uploadInfo  os.FileInfo
}

func newProgram() *cli.Program {
	e := &env{}
	lambdaFlags, tableFlags, bucketFlags := e.nameFlag("function", "the Lambda `FUNCTION` (default: the SimpleLambda stack's FunctionName output)"),
		e.nameFlag("table", "the DynamoDB `TABLE` (default: the SimpleDynamoDb stack's TableName output)"),
		e.nameFlag("bucket", "the S3 `BUCKET` (default: the SimpleS3 stack's BucketName output)")
	lambdaStack := e.resource(handsons.SimpleLambda, "FunctionName")
	tableStack := e.resource(handsons.SimpleDynamoDb, "TableName")
	bucketStack := e.resource(handsons.SimpleS3, "BucketName")
	return &cli.Program{
		Name:    "serverless",
		Summary: "the client of hands-on #5 (SimpleLambda, SimpleDynamoDb, SimpleS3), in place of the course's Python scripts",
		Notes:   "The function, table and bucket come from the stacks' outputs in the region of your AWS profile\n(or --region), unless --function, --table or --bucket names them.",
		Commands: []*cli.Command{
			{Name: "invoke", Summary: "run the SimpleLambda function once and print its answer and log",
				Example: "serverless invoke", Flags: lambdaFlags, Run: lambdaStack(nil, e.invoke)},
			{Name: "invoke-many", Args: "N", MinArgs: 1, MaxArgs: 1, Summary: "start N asynchronous runs of the function, C requests at a time",
				Example: "serverless invoke-many 100 --concurrency 10",
				Flags: func(fs *flag.FlagSet) {
					lambdaFlags(fs)
					fs.IntVar(&e.concurrency, "concurrency", 10, "send at most `C` requests at once (1 to 100)")
				},
				Run: lambdaStack(e.checkInvokeMany, e.invokeMany)},
			{Name: "write", Summary: "write one item (John Doe, 25) to the SimpleDynamoDb table",
				Example: "serverless write", Flags: tableFlags, Run: tableStack(nil, e.write)},
			{Name: "read", Summary: "print every item of the table", Example: "serverless read", Flags: tableFlags, Run: tableStack(nil, e.read)},
			{Name: "batch-write", Args: "N", MinArgs: 1, MaxArgs: 1, Summary: "write N items with random ages 1-50",
				Example: "serverless batch-write 1000", Flags: tableFlags,
				Run: tableStack(e.number("batch-write", 1, 1000000), e.batchWrite)},
			{Name: "search-under-age", Args: "AGE", MinArgs: 1, MaxArgs: 1, Summary: "print the items younger than AGE",
				Example: "serverless search-under-age 20", Flags: tableFlags,
				Run: tableStack(e.number("search-under-age", 0, 1000), e.searchUnderAge)},
			{Name: "clear", Summary: "delete every item of the table (asks first unless --yes)", Example: "serverless clear --yes",
				Flags: func(fs *flag.FlagSet) {
					tableFlags(fs)
					fs.BoolVar(&e.yes, "yes", false, "do not ask for confirmation")
				},
				Run: tableStack(nil, e.clearTable)},
			{Name: "upload", Args: "FILE", MinArgs: 1, MaxArgs: 1, Summary: "upload a file to the SimpleS3 bucket (key: the file's name, or --key)",
				Example: "serverless upload handson/bashoutter/screenshot.png --key pictures/haiku.png",
				Flags: func(fs *flag.FlagSet) {
					bucketFlags(fs)
					fs.StringVar(&e.key, "key", "", "the object's `KEY` (default: the file's name)")
				},
				Run: bucketStack(e.checkUpload, e.put)},
			{Name: "download", Args: "KEY", MinArgs: 1, MaxArgs: 1, Summary: "download an object into a file (never over an existing one without --force)",
				Example: "serverless download pictures/haiku.png   # into downloads/haiku.png\nserverless download pictures/haiku.png --out /tmp/",
				Flags: func(fs *flag.FlagSet) {
					bucketFlags(fs)
					fs.StringVar(&e.file, "out", "", "write to this `PATH`, a file or an existing folder (default: the key's last part, here)")
					fs.BoolVar(&e.force, "force", false, "replace the file if it exists")
				},
				Run: bucketStack(e.checkDownload, e.download)},
		},
	}
}

// nameFlag registers --function, --table or --bucket.
func (e *env) nameFlag(name, usage string) func(fs *flag.FlagSet) {
	return func(fs *flag.FlagSet) { fs.StringVar(&e.name, name, "", usage) }
}

// resource makes a command's Run: check the arguments, load the AWS configuration,
// find the function, table or bucket (the flag, else the stack's output), run.
func (e *env) resource(stack, output string) func(check func(*cli.Call) error, do func(context.Context, *cli.Call) error) func(context.Context, *cli.Call) error {
	return func(check func(*cli.Call) error, do func(context.Context, *cli.Call) error) func(context.Context, *cli.Call) error {
		return func(ctx context.Context, c *cli.Call) error {
			e.out = c.Stdout
			if check != nil {
				if err := check(c); err != nil {
					return err
				}
			}
			cfg, err := c.AWS(ctx)
			if err != nil {
				return err
			}
			e.cfg = cfg
			if e.name == "" {
				if e.name, err = awsenv.Output(ctx, cfg, stack, output); err != nil {
					return err
				}
			}
			return do(ctx, c)
		}
	}
}

// number checks a command's whole-number argument and keeps it in e.n.
func (e *env) number(what string, lo, hi int) func(*cli.Call) error {
	return func(c *cli.Call) error {
		n, err := strconv.Atoi(c.Args[0])
		if err != nil || n < lo || n > hi {
			return cli.Usagef("%s %q: give a whole number from %d to %d", what, c.Args[0], lo, hi)
		}
		e.n = n
		return nil
	}
}

// --- SimpleLambda ---

// invokeAttemptTimeout: a synchronous invoke answers when the function has run (the
// SimpleLambda function may take 10 s, another one given with --function longer).
const invokeAttemptTimeout = 2 * time.Minute

func (e *env) invoke(ctx context.Context, _ *cli.Call) error {
	start := time.Now()
	out, err := lambda.NewFromConfig(e.cfg).Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(e.name),
		LogType:      lambdatypes.LogTypeTail,
	}, func(o *lambda.Options) { o.HTTPClient = awsenv.HTTPClient(invokeAttemptTimeout) })
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

func (e *env) checkInvokeMany(c *cli.Call) error {
	if err := e.number("invoke-many", 1, 10000)(c); err != nil {
		return err
	}
	if e.concurrency < 1 || e.concurrency > 100 {
		return cli.Usagef("--concurrency %d: use 1 to 100", e.concurrency)
	}
	return nil
}

func (e *env) invokeMany(ctx context.Context, _ *cli.Call) error {
	n := e.n
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

func (e *env) write(ctx context.Context, _ *cli.Call) error {
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
func (e *env) scan(ctx context.Context, input *dynamodb.ScanInput, each func(map[string]ddbtypes.AttributeValue) error) error {
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

func (e *env) read(ctx context.Context, _ *cli.Call) error {
	n := 0
	err := e.scan(ctx, &dynamodb.ScanInput{}, func(item map[string]ddbtypes.AttributeValue) error {
		n++
		_, err := fmt.Fprintln(e.out, toJSON(item))
		return err
	})
	if err == nil {
		fmt.Fprintf(e.out, "%d items in %s\n", n, e.name)
	}
	return err
}

func (e *env) searchUnderAge(ctx context.Context, _ *cli.Call) error {
	age, n := e.n, 0
	err := e.scan(ctx, &dynamodb.ScanInput{
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

func (e *env) batchWrite(ctx context.Context, _ *cli.Call) error {
	n := e.n
	var requests []ddbtypes.WriteRequest
	for range n {
		requests = append(requests, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: person(1 + mrand.IntN(50))}})
	}
	if written, err := e.writeBatches(ctx, requests); err != nil {
		return e.partly(ctx, err, "wrote %d of %d items to %s", written, n)
	}
	fmt.Fprintf(e.out, "\nWrote %d items to %s\n", n, e.name)
	return nil
}

func (e *env) clearTable(ctx context.Context, c *cli.Call) error {
	var requests []ddbtypes.WriteRequest
	err := e.scan(ctx, &dynamodb.ScanInput{ProjectionExpression: aws.String("item_id")}, func(item map[string]ddbtypes.AttributeValue) error {
		requests = append(requests, ddbtypes.WriteRequest{DeleteRequest: &ddbtypes.DeleteRequest{Key: item}})
		return nil
	})
	if err != nil || len(requests) == 0 {
		if err == nil {
			fmt.Fprintf(e.out, "Nothing to delete: %s is empty\n", e.name)
		}
		return err
	}
	if !e.yes {
		if ok, err := cli.Confirm(c, fmt.Sprintf("Delete all %s of table %s?", cli.Plural(len(requests), "item"), e.name)); !ok {
			if err == nil {
				fmt.Fprintln(e.out, "Nothing deleted.")
				err = cli.ErrReported
			}
			return err
		}
	}
	if deleted, err := e.writeBatches(ctx, requests); err != nil {
		return e.partly(ctx, err, "deleted %d of %d items from %s", deleted, len(requests))
	}
	fmt.Fprintf(e.out, "\nDeleted %d items from %s\n", len(requests), e.name)
	return nil
}

// writeBatches writes requests in batches (awsenv.WriteBatch), 4 batches at a time,
// and returns how many requests were done.
func (e *env) writeBatches(ctx context.Context, requests []ddbtypes.WriteRequest) (int, error) {
	db := dynamodb.NewFromConfig(e.cfg)
	var done atomic.Int64
	batches := (len(requests) + awsenv.MaxBatchWrite - 1) / awsenv.MaxBatchWrite
	_, err := cli.Parallel(ctx, batches, 4, func(i int) error {
		batch := requests[i*awsenv.MaxBatchWrite : min((i+1)*awsenv.MaxBatchWrite, len(requests))]
		n, err := awsenv.WriteBatch(ctx, db, e.name, batch)
		done.Add(int64(n))
		if err != nil {
			return awsenv.Explain("batch writing to "+e.name, err)
		}
		fmt.Fprint(e.out, ".")
		return nil
	})
	return int(done.Load()), err
}

// partly reports a bulk command that stopped part-way: interrupted, or failed.
func (e *env) partly(ctx context.Context, err error, format string, done, of int) error {
	state := fmt.Sprintf(format, done, of, e.name)
	if ctx.Err() != nil {
		return cli.Interrupted(state)
	}
	return fmt.Errorf("%v (%s)", err, state)
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
		// The SDK would print a DEBUG line on stderr for each object stored without a
		// checksum (objects uploaded by the console, or by moto).
		o.DisableLogOutputChecksumValidationSkipped = true
		// A local endpoint (tests) has no DNS names per bucket.
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	})
}

// maxUpload is the largest object one PutObject call may write (S3's limit).
const maxUpload = 5 << 30

// checkUpload opens the file before anything is asked of AWS.
func (e *env) checkUpload(c *cli.Call) (err error) {
	e.upload, e.uploadInfo, err = cli.OpenFile(c.Args[0], maxUpload)
	return err
}

func (e *env) put(ctx context.Context, c *cli.Call) error {
	path, f, info := c.Args[0], e.upload, e.uploadInfo
	defer f.Close()
	key := e.key
	if key == "" {
		key = filepath.Base(path)
	}
	// The key is free text sent to S3: the project's one text check (internal/textcheck)
	// refuses controls, bidi overrides and invalid UTF-8, which S3 documents as keys
	// that need special handling (and XML 1.0 listings cannot even carry).
	if err := textcheck.Line(key); err != nil {
		return fmt.Errorf("upload: the key %+q: %v", key, err)
	}
	if _, err := s3Client(e.cfg).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(e.name), Key: aws.String(key), Body: f, ContentLength: aws.Int64(info.Size()),
	}); err != nil {
		return awsenv.Explain(fmt.Sprintf("uploading %s to s3://%s/%s", path, e.name, key), err)
	}
	fmt.Fprintf(e.out, "Uploaded %s (%s) to s3://%s/%s\n", path, cli.Bytes(info.Size()), e.name, key)
	return nil
}

// checkDownload decides where the object goes before anything is asked of AWS: the
// key's last part in downloads/ (ignored by git, not loose files in the checkout), --out PATH, or a file inside --out DIR;
// an existing file is replaced only with --force.
func (e *env) checkDownload(c *cli.Call) error {
	key := c.Args[0]
	if err := textcheck.Line(key); err != nil {
		return cli.Usagef("download: the key %+q: %v", key, err)
	}
	base := path.Base(key)
	if key == "" || strings.HasSuffix(key, "/") || base == "." || base == ".." || base == "/" {
		return cli.Usagef("download %q: give the key of an object, e.g. fish/nemo.jpg", key)
	}
	target := e.file
	if target == "" {
		target = filepath.Join("downloads", base)
		if err := os.MkdirAll("downloads", 0o755); err != nil {
			return fmt.Errorf("download: %v", err)
		}
	} else if info, err := os.Stat(target); (err == nil && info.IsDir()) || strings.HasSuffix(target, string(filepath.Separator)) {
		target = filepath.Join(target, base)
	}
	info, err := os.Lstat(target)
	switch {
	case err == nil && !info.Mode().IsRegular():
		return cli.Usagef("download: %s exists and is not a regular file: give another --out", target)
	case err == nil && !e.force:
		return cli.Usagef("download: %s already exists: add --force to replace it, or give another --out", target)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return cli.Usagef("download: %v", err)
	}
	if info, err := os.Stat(filepath.Dir(target)); err != nil || !info.IsDir() {
		return cli.Usagef("download: folder %s does not exist", filepath.Dir(target))
	}
	e.file = target
	return nil
}

func (e *env) download(ctx context.Context, c *cli.Call) error {
	key, target := c.Args[0], e.file
	out, err := s3Client(e.cfg).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(e.name), Key: aws.String(key)})
	if err != nil {
		var missing *s3types.NoSuchKey
		if errors.As(err, &missing) {
			return fmt.Errorf("no object %q in bucket %s (upload lists the key it used)", key, e.name)
		}
		return awsenv.Explain(fmt.Sprintf("downloading s3://%s/%s", e.name, key), err)
	}
	defer out.Body.Close()
	n, err := writeFile(target, out.Body)
	if err != nil {
		if ctx.Err() != nil {
			return cli.Interrupted(fmt.Sprintf("nothing written to %s", target))
		}
		return fmt.Errorf("download s3://%s/%s to %s: %v", e.name, key, target, err)
	}
	fmt.Fprintf(e.out, "Downloaded s3://%s/%s to %s (%s)\n", e.name, key, target, cli.Bytes(n))
	return nil
}

// writeFile writes r to a temporary file next to target and renames it, so a failed
// download leaves no half file and the target is replaced in one step. The file gets
// the mode of the one it replaces, else 0644 (a temporary file is 0600).
func writeFile(target string, r io.Reader) (int64, error) {
	mode := fs.FileMode(0o644)
	if info, err := os.Stat(target); err == nil {
		mode = info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), ".download-*")
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(tmp, r)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), target)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return n, err
}
