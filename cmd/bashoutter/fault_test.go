package main

// post-many, list and clear under every fault scenario that applies
// (internal/testenv/scenarios.go): the same results as without faults, each haiku
// posted and deleted once; a fault that cannot be retried safely (a 500 answer to a
// POST) is explained in one line with what was stored.

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// bashoutterScenarios: the API's faults come as API Gateway gives them; a 500 and a
// lost connection are injected only where the client may repeat the request (GET,
// DELETE), since a POST may have been stored.
func bashoutterScenarios() []testenv.Scenario {
	scenarios := testenv.TransientScenarios("cloudformation", "http")
	for i := range scenarios {
		for j := range scenarios[i].Rules {
			r := &scenarios[i].Rules[j]
			if r.Service == "http" && (r.Kind == testenv.KindReset || r.Status == 500) {
				r.Ops = []string{"GET /haiku", "DELETE /haiku/{id}"}
			}
		}
	}
	return scenarios
}

func TestFaultsPostManyListClear(t *testing.T) {
	for _, sc := range bashoutterScenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			moto, s, store := setup(t)
			cfn := testenv.StartFaults(t, moto.Endpoint, sc)
			api := testenv.StartFaults(t, s.APIURL, sc)
			moto.CreateStack(t, "Bashoutter", map[string]string{"ApiUrl": api.URL, "SiteUrl": s.SiteURL})
			t.Setenv("AWS_ENDPOINT_URL", cfn.URL)

			code, out, errOut := runCmd(t, "post-many", "30", "--concurrency", "4")
			if code != 0 || !strings.Contains(out, "Posted 30 of 30 haiku") {
				t.Fatalf("post-many = %d\n%s\n%s", code, out, errOut)
			}
			if n := count(t, store); n != 30 {
				t.Errorf("%d haiku in the table, want 30 (each posted once)", n)
			}
			code, out, errOut = runCmd(t, "list", "--limit", "5")
			if code != 0 || strings.Count(out, "閑さや 岩にしみ入る 蝉の声") != 5 {
				t.Errorf("list = %d\n%s\n%s", code, out, errOut)
			}
			code, out, errOut = runCmd(t, "clear", "--yes")
			if code != 0 || !strings.Contains(out, "Deleted 30 haiku") {
				t.Fatalf("clear = %d\n%s\n%s", code, out, errOut)
			}
			if n := count(t, store); n != 0 {
				t.Errorf("%d haiku left after clear", n)
			}
			api.RequireHit(t, "bashoutter post-many/list/clear")
			if cfn.Total() > 0 {
				t.Logf("FAULTS client=%-28s scenario=%-20s injected=%-3d %s", "bashoutter (CloudFormation)", sc.Name, cfn.Total(), cfn.Summary())
			}
		})
	}
}

// A 500 answer to a POST: the haiku may have been stored, so the client does not post
// it again; it stops and says how many were posted.
func TestFaultsPostAnswered500IsNotRepeated(t *testing.T) {
	moto, s, store := setup(t)
	api := testenv.StartFaults(t, s.APIURL, testenv.Scenario{Name: "post-500", Seed: 1, Refusal: true,
		// HTTP API answers 500 when the integration failed, after it may have run:
		// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html
		Rules: []testenv.Rule{{Name: "500", Service: "http", Ops: []string{"POST /haiku"}, Kind: testenv.KindError, Status: 500, Message: "Internal Server Error", Every: 3, Limit: 1}}})
	moto.CreateStack(t, "Bashoutter", map[string]string{"ApiUrl": api.URL, "SiteUrl": s.SiteURL})
	code, out, errOut := runCmd(t, "post-many", "5", "--concurrency", "1")
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "POST /haiku: HTTP 500: Internal Server Error") {
		t.Fatalf("post-many = %d\n%s\n%q", code, out, errOut)
	}
	m := regexp.MustCompile(`Posted (\d+) of 5 haiku`).FindStringSubmatch(out)
	if m == nil || m[1] != fmt.Sprint(count(t, store)) {
		t.Errorf("stdout %q does not give the %d haiku stored", out, count(t, store))
	}
	if n := api.Injected()["500"]["http.POST /haiku"]; n != 1 {
		t.Errorf("recorded %s", api.Summary())
	}
	api.RequireHit(t, "bashoutter post-many")
}

// Behind the API, DynamoDB's answer to a PutItem is lost after it stored the haiku; the
// SDK sends it again and the conditional write finds the item: stored once, answered 201.
func TestFaultsLostAnswerBehindTheAPI(t *testing.T) {
	moto := testenv.StartMoto(t)
	moto.SetEnv(t)
	faults := testenv.StartFaults(t, moto.Endpoint, testenv.LostAnswerScenario("dynamodb", "PutItem"))
	cfg := (&testenv.Moto{Endpoint: faults.URL}).Config()
	cfg.Retryer = func() aws.Retryer { return awsenv.Retryer() }
	s, store := serveLocal(t, dynamodb.NewFromConfig(cfg))
	code, out, errOut := runCmd(t, "post-many", "12", "--concurrency", "2", "--api-url", s.APIURL)
	if code != 0 || !strings.Contains(out, "Posted 12 of 12 haiku") {
		t.Fatalf("post-many = %d\n%s\n%s", code, out, errOut)
	}
	if n := count(t, store); n != 12 {
		t.Errorf("%d haiku stored, want 12 (each once)", n)
	}
	faults.RequireHit(t, "bashoutter post-many (API's DynamoDB)")
}
