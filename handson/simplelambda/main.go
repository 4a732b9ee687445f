// Command simplelambda is the function of hands-on #5 (SimpleLambda), the course's
// "Cloud Sushi": each invocation waits a random 2 to 5 seconds, as if it worked, and
// returns a greeting with a random order. Invoke many at once and watch Lambda run them
// side by side (cmd/serverless invoke-many).
//
// WAIT_SECONDS ("2-5" by default) changes the range, so tests do not have to wait.
package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

var sushi = []string{"salmon", "tuna", "squid"}

func main() {
	minWait, maxWait, err := parseWait(os.Getenv("WAIT_SECONDS"))
	if err != nil {
		log.Fatal(err) // the init fails and the error shows in the invoke's response
	}
	s := &shop{minWait: minWait, maxWait: maxWait, intn: rand.IntN}
	lambda.Start(s.handle)
}

// shop takes orders. intn is rand.IntN, replaceable in tests.
type shop struct {
	minWait, maxWait time.Duration
	intn             func(n int) int
}

// handle ignores its event, as the course's function did.
func (s *shop) handle(ctx context.Context) (string, error) {
	wait := s.minWait
	if span := s.maxWait - s.minWait; span > 0 {
		wait += time.Duration(s.intn(int(span/time.Second)+1)) * time.Second
	}
	select {
	case <-time.After(wait):
	case <-ctx.Done(): // the function's timeout
		return "", ctx.Err()
	}
	message := "Welcome to Cloud Sushi. Your order is " + sushi[s.intn(len(sushi))]
	log.Printf("%s (after %s)", message, wait)
	return message, nil
}

// parseWait reads "min-max" in whole seconds; "" means the course's 2-5.
func parseWait(v string) (time.Duration, time.Duration, error) {
	if v == "" {
		v = "2-5"
	}
	lo, hi, ok := strings.Cut(v, "-")
	minS, err1 := strconv.Atoi(strings.TrimSpace(lo))
	maxS, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || err1 != nil || err2 != nil || minS < 0 || maxS < minS || maxS > 9 {
		return 0, 0, fmt.Errorf("WAIT_SECONDS=%q: want min-max in whole seconds within the 10 s timeout, e.g. 2-5", v)
	}
	return time.Duration(minS) * time.Second, time.Duration(maxS) * time.Second, nil
}
