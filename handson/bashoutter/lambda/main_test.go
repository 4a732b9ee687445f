package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/api"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// apiGatewayEvent is the payload-2.0 event API Gateway sends for one request.
func apiGatewayEvent(routeKey, itemID, body string, query map[string]string) []byte {
	method, path, _ := strings.Cut(routeKey, " ")
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: strings.ReplaceAll(path, "{item_id}", itemID),
		Headers:               map[string]string{"content-type": "application/json", "host": "abc123.execute-api.ap-northeast-1.amazonaws.com"},
		QueryStringParameters: query, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, Stage: "$default", APIID: "abc123",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.9"},
		},
	}
	if itemID != "" {
		e.PathParameters = map[string]string{"item_id": itemID}
	}
	raw, _ := json.Marshal(e)
	return raw
}

// startFunction builds the real bootstrap and runs it under the Lambda emulator against
// a table in moto, with the environment Lambda gives it.
func startFunction(t testing.TB) *testenv.RIE {
	t.Helper()
	moto := testenv.StartMoto(t)
	if err := api.CreateTable(context.Background(), dynamodb.NewFromConfig(moto.Config()), "haiku"); err != nil {
		t.Fatal(err)
	}
	bootstrap := testenv.BuildLambda(t, "handson/bashoutter/lambda")
	return testenv.StartRIE(t, bootstrap, append(moto.Env(), "TABLE_NAME=haiku", "AWS_SESSION_TOKEN=session")...)
}

func invoke(t *testing.T, rie *testenv.RIE, event []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	out, status, err := rie.Invoke(context.Background(), event)
	if err != nil || status != http.StatusOK {
		t.Fatalf("invoke: %v, HTTP %d %s\n%s", err, status, out, rie.Logs())
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode == 0 {
		t.Fatalf("the function answered %s, not an API Gateway response (%v)\n%s", out, err, rie.Logs())
	}
	return resp
}

func TestBootstrapServesEveryRouteUnderTheEmulator(t *testing.T) {
	rie := startFunction(t)

	resp := invoke(t, rie, apiGatewayEvent(bashoutter.RoutePost, "", `{"username":"松尾芭蕉","first":"閑さや","second":"岩にしみ入る","third":"蝉の声"}`, nil))
	var item bashoutter.Haiku
	if json.Unmarshal([]byte(resp.Body), &item); resp.StatusCode != 201 || len(item.ItemID) != 32 || item.Second != "岩にしみ入る" {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	resp = invoke(t, rie, apiGatewayEvent(bashoutter.RouteList, "", "", map[string]string{"limit": "5"}))
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, item.ItemID) {
		t.Errorf("GET = %d %s", resp.StatusCode, resp.Body)
	}
	resp = invoke(t, rie, apiGatewayEvent(bashoutter.RouteLike, item.ItemID, "", nil))
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"likes":1`) {
		t.Errorf("PATCH = %d %s", resp.StatusCode, resp.Body)
	}
	resp = invoke(t, rie, apiGatewayEvent(bashoutter.RouteDelete, item.ItemID, "", nil))
	if resp.StatusCode != 204 || resp.Body != "" {
		t.Errorf("DELETE = %d %q", resp.StatusCode, resp.Body)
	}
	resp = invoke(t, rie, apiGatewayEvent(bashoutter.RouteLike, item.ItemID, "", nil))
	if resp.StatusCode != 404 {
		t.Errorf("PATCH after DELETE = %d %s, want 404", resp.StatusCode, resp.Body)
	}
	resp = invoke(t, rie, apiGatewayEvent(bashoutter.RoutePost, "", `{"username":"x"}`, nil))
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, "first is missing or empty") {
		t.Errorf("bad POST = %d %s", resp.StatusCode, resp.Body)
	}
	if !rie.WaitForLog("INIT REPORT", 5*time.Second) {
		t.Errorf("no init report from the emulator:\n%s", rie.Logs())
	}
}

// Without TABLE_NAME the function stops at init with a line that says why.
func TestBootstrapWithoutTableNameFailsAtInit(t *testing.T) {
	bootstrap := testenv.BuildLambda(t, "handson/bashoutter/lambda")
	rie := testenv.StartRIE(t, bootstrap, "TABLE_NAME=")
	out, _, err := rie.Invoke(context.Background(), apiGatewayEvent(bashoutter.RouteList, "", "", nil))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), `"statusCode"`) || !rie.WaitForLog("TABLE_NAME is not set", 5*time.Second) {
		t.Errorf("answer %s; log:\n%s\nwant an init failure naming TABLE_NAME", out, rie.Logs())
	}
}

func newDynamoDB(m *testenv.Moto) *dynamodb.Client { return dynamodb.NewFromConfig(m.Config()) }
