package awsenv

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

func testEnv(t *testing.T, endpoint string) {
	for _, kv := range testenv.ClientEnv(endpoint)[len(os.Environ()):] {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func TestRetryPolicy(t *testing.T) {
	testEnv(t, "http://127.0.0.1:9")
	cfg, err := Load(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := cfg.Retryer().MaxAttempts(); n != MaxAttempts {
		t.Errorf("MaxAttempts = %d, want %d", n, MaxAttempts)
	}
	t.Setenv("AWS_MAX_ATTEMPTS", "2")
	if cfg, _ = Load(context.Background(), Options{}); cfg.Retryer().MaxAttempts() != 2 {
		t.Errorf("AWS_MAX_ATTEMPTS=2 gives %d attempts", cfg.Retryer().MaxAttempts())
	}
}

// An endpoint that accepts the connection and never answers: each attempt ends at
// the attempt timeout, the call at its deadline, with one line that says what to do.
func TestNeverAnsweringEndpoint(t *testing.T) {
	silent := testenv.StartSilentEndpoint(t)
	testEnv(t, silent.URL)
	cfg, err := Load(context.Background(), Options{AttemptTimeout: 200 * time.Millisecond, CallTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = dynamodb.NewFromConfig(cfg).Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("t")})
	var deadline *DeadlineError
	if !errors.As(err, &deadline) || deadline.Service != "DynamoDB" || deadline.Operation != "Scan" {
		t.Fatalf("err = %v, want a DeadlineError of DynamoDB Scan", err)
	}
	if n := len(silent.Accepted); n < 2 {
		t.Errorf("%d attempts within the call's deadline, want retries", n)
	}
	want := "scanning t: no answer from DynamoDB Scan within 2s, even after retries: check your network connection (and AWS_ENDPOINT_URL, if set), then run again"
	if got := Explain("scanning t", err).Error(); got != want {
		t.Errorf("Explain = %q\nwant %q", got, want)
	}

	// One attempt: the attempt's own timeout, explained.
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	cfg, _ = Load(context.Background(), Options{AttemptTimeout: 200 * time.Millisecond})
	_, err = dynamodb.NewFromConfig(cfg).Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("t")})
	if got := Explain("scanning t", err).Error(); got != "scanning t: AWS did not answer in time, even after retries: check your network connection (and AWS_ENDPOINT_URL, if set), then run again" {
		t.Errorf("one attempt: %q", got)
	}
}

// A streaming answer (S3 GetObject) is read after the call returned: the call's
// deadline must not cut it.
func TestStreamingBodyOutlivesTheCall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond) // beyond the call's deadline below
		w.Write([]byte("hello"))
	}))
	defer srv.Close()
	testEnv(t, srv.URL)
	cfg, err := Load(context.Background(), Options{CallTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).GetObject(context.Background(),
		&s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	if string(b) != "hello" || err != nil {
		t.Errorf("body = %q %v", b, err)
	}
}

func TestLoadSaysWhatIsMissing(t *testing.T) {
	testEnv(t, "http://127.0.0.1:9")
	t.Setenv("AWS_REGION", "")
	if _, err := Load(context.Background(), Options{}); err == nil || !strings.HasPrefix(err.Error(), "no AWS region: pass --region") {
		t.Errorf("no region: %v", err)
	}
	if _, err := Load(context.Background(), Options{Region: "eu-west-1", Profile: "nope"}); err == nil || !strings.HasPrefix(err.Error(), `AWS profile "nope" not found`) {
		t.Errorf("unknown profile: %v", err)
	}
}
