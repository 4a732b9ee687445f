package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/intro-aws-go/intro-aws-go/handson/bashoutter/haiku"
	"github.com/intro-aws-go/intro-aws-go/handson/contracts/bashoutter"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// Every test here talks to a real DynamoDB API: moto_server on 127.0.0.1, started once
// for the package, each test with a table of its own.
var (
	motoOnce sync.Once
	moto     *testenv.Moto
	motoErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if moto != nil {
		moto.Stop()
	}
	os.Exit(code)
}

func startMoto(t testing.TB) *testenv.Moto {
	t.Helper()
	motoOnce.Do(func() { moto, motoErr = testenv.StartMotoServer() })
	if motoErr != nil {
		t.Fatal(motoErr)
	}
	return moto
}

var tableSeq struct {
	sync.Mutex
	n int
}

// newHandler creates a fresh table and a handler on it, with a clock that advances one
// second per item.
func newHandler(t testing.TB) (*Handler, *dynamodb.Client) {
	t.Helper()
	tableSeq.Lock()
	tableSeq.n++
	name := fmt.Sprintf("haiku-%d", tableSeq.n)
	tableSeq.Unlock()
	db := dynamodb.NewFromConfig(startMoto(t).Config())
	if err := CreateTable(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	store := &Store{DB: db, Table: name, Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	}}
	var logged []string
	h := &Handler{Store: store, Logf: func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }}
	t.Cleanup(func() {
		for _, l := range logged {
			t.Log("handler logged: " + l)
		}
	})
	return h, db
}

// call sends one API Gateway v2 event, as API Gateway builds it for the route.
func call(t testing.TB, h *Handler, routeKey, itemID, body string, query map[string]string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	method, path, _ := strings.Cut(routeKey, " ")
	req := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: strings.ReplaceAll(path, "{item_id}", itemID),
		Body: body, QueryStringParameters: query,
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method}},
	}
	if itemID != "" {
		req.PathParameters = map[string]string{"item_id": itemID}
	}
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("%s returned an error instead of a response: %v", routeKey, err)
	}
	return resp
}

func decode[T any](t testing.TB, resp events.APIGatewayV2HTTPResponse) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatalf("body %q: %v", resp.Body, err)
	}
	if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	return v
}

const basho = `{"username": "松尾芭蕉", "first": "閑さや", "second": "岩にしみ入る", "third": "蝉の声"}`

func TestPostListLikeDelete(t *testing.T) {
	h, _ := newHandler(t)

	resp := call(t, h, bashoutter.RoutePost, "", basho, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST = %d %s, want 201", resp.StatusCode, resp.Body)
	}
	posted := decode[bashoutter.Haiku](t, resp)
	if len(posted.ItemID) != 32 || posted.Username != "松尾芭蕉" || posted.First != "閑さや" || posted.Second != "岩にしみ入る" ||
		posted.Third != "蝉の声" || posted.Likes != 0 || posted.CreatedAt != "2026-04-01T09:00:01.000000Z" {
		t.Errorf("POST returned %+v", posted)
	}

	resp = call(t, h, bashoutter.RouteList, "", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET = %d %s", resp.StatusCode, resp.Body)
	}
	if page := decode[bashoutter.Page](t, resp); len(page.Items) != 1 || page.Items[0] != posted || page.Next != "" {
		t.Errorf("GET = %+v, want exactly the posted haiku and no next page", page)
	}

	for want := int64(1); want <= 2; want++ {
		resp = call(t, h, bashoutter.RouteLike, posted.ItemID, "", nil)
		got := decode[struct {
			ItemID string `json:"item_id"`
			Likes  int64  `json:"likes"`
		}](t, resp)
		if resp.StatusCode != http.StatusOK || got.Likes != want || got.ItemID != posted.ItemID {
			t.Errorf("PATCH #%d = %d %s, want 200 with likes %d", want, resp.StatusCode, resp.Body, want)
		}
	}
	if page := decode[bashoutter.Page](t, call(t, h, bashoutter.RouteList, "", "", nil)); len(page.Items) != 1 || page.Items[0].Likes != 2 {
		t.Errorf("after two likes GET = %+v", page)
	}

	resp = call(t, h, bashoutter.RouteDelete, posted.ItemID, "", nil)
	if resp.StatusCode != http.StatusNoContent || resp.Body != "" || len(resp.Headers) != 0 {
		t.Errorf("DELETE = %d %q %v, want 204 with no body", resp.StatusCode, resp.Body, resp.Headers)
	}
	if page := decode[bashoutter.Page](t, call(t, h, bashoutter.RouteList, "", "", nil)); len(page.Items) != 0 {
		t.Errorf("after DELETE GET = %+v, want no items", page)
	}
	if body := call(t, h, bashoutter.RouteList, "", "", nil).Body; body != `{"items":[]}` {
		t.Errorf("empty GET body %s, want an empty list (not null)", body)
	}
}

func TestMissingItemIs404NotA500(t *testing.T) {
	h, _ := newHandler(t)
	for _, route := range []string{bashoutter.RouteLike, bashoutter.RouteDelete} {
		resp := call(t, h, route, "0123456789abcdef0123456789abcdef", "", nil)
		msg := decode[map[string]string](t, resp)
		if resp.StatusCode != http.StatusNotFound || msg["message"] != "no such haiku" {
			t.Errorf("%s of a missing item = %d %s, want 404 no such haiku", route, resp.StatusCode, resp.Body)
		}
	}
	// A like must not create the item (UpdateItem would, without its condition).
	if page := decode[bashoutter.Page](t, call(t, h, bashoutter.RouteList, "", "", nil)); len(page.Items) != 0 {
		t.Errorf("PATCH of a missing item created %+v", page.Items)
	}
}

func TestListPagesNewestFirst(t *testing.T) {
	h, _ := newHandler(t)
	var ids []string // in posting order
	for i := 0; i < 7; i++ {
		body := fmt.Sprintf(`{"username":"u%d","first":"a","second":"b","third":"c"}`, i)
		ids = append(ids, decode[bashoutter.Haiku](t, call(t, h, bashoutter.RoutePost, "", body, nil)).ItemID)
	}
	var got []string
	next := ""
	pages := 0
	for {
		query := map[string]string{"limit": "3"}
		if next != "" {
			query["next"] = next
		}
		resp := call(t, h, bashoutter.RouteList, "", "", query)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET page %d = %d %s", pages+1, resp.StatusCode, resp.Body)
		}
		page := decode[bashoutter.Page](t, resp)
		pages++
		if len(page.Items) > 3 {
			t.Fatalf("page %d has %d items, limit 3", pages, len(page.Items))
		}
		for _, item := range page.Items {
			got = append(got, item.ItemID)
		}
		if page.Next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		next = page.Next
	}
	want := make([]string, len(ids))
	for i, id := range ids {
		want[len(ids)-1-i] = id
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%d pages listing %v,\nwant 3 pages listing %v (newest first)", pages, got, want)
	}

	// A page that ends exactly at the last item has no next token (no empty last page).
	page := decode[bashoutter.Page](t, call(t, h, bashoutter.RouteList, "", "", map[string]string{"limit": "7"}))
	if len(page.Items) != 7 || page.Next != "" {
		t.Errorf("limit 7 of 7: %d items, next %q; want all and no next", len(page.Items), page.Next)
	}
	if page := decode[bashoutter.Page](t, call(t, h, bashoutter.RouteList, "", "", nil)); len(page.Items) != 7 {
		t.Errorf("default page has %d of 7 items", len(page.Items))
	}
}

func TestBadInputIs400WithAMessage(t *testing.T) {
	h, _ := newHandler(t)
	long := strings.Repeat("あ", haiku.MaxLineRunes+1)
	cases := []struct {
		name, route, id, body string
		query                 map[string]string
		want                  string
	}{
		{"empty body", bashoutter.RoutePost, "", "", nil, "the body is empty"},
		{"not JSON", bashoutter.RoutePost, "", "first=a", nil, "not valid JSON"},
		{"truncated JSON", bashoutter.RoutePost, "", `{"username": "a"`, nil, "ends too early"},
		{"array", bashoutter.RoutePost, "", `[1,2]`, nil, "must be a JSON object"},
		{"missing field", bashoutter.RoutePost, "", `{"username":"a","first":"b","second":"c"}`, nil, "third is missing or empty"},
		{"blank field", bashoutter.RoutePost, "", `{"username":"a","first":"  ","second":"c","third":"d"}`, nil, "first is missing or empty"},
		{"number", bashoutter.RoutePost, "", `{"username":"a","first":5,"second":"c","third":"d"}`, nil, "first must be a string"},
		{"typo", bashoutter.RoutePost, "", `{"username":"a","frist":"b","second":"c","third":"d"}`, nil, `unknown field "frist"`},
		{"too long", bashoutter.RoutePost, "", `{"username":"a","first":"` + long + `","second":"c","third":"d"}`, nil, "first is 65 characters long; the limit is 64"},
		{"line break", bashoutter.RoutePost, "", `{"username":"a","first":"b\nb","second":"c","third":"d"}`, nil, "line break"},
		{"two objects", bashoutter.RoutePost, "", basho + basho, nil, "more after its JSON object"},
		{"huge body", bashoutter.RoutePost, "", strings.Repeat(" ", haiku.MaxBodyBytes) + basho, nil, "the limit is 4096"},
		{"bad base64", bashoutter.RoutePost, "", "%%%", nil, "not valid base64"},
		{"limit zero", bashoutter.RouteList, "", "", map[string]string{"limit": "0"}, "limit must be a whole number from 1 to 100"},
		{"limit text", bashoutter.RouteList, "", "", map[string]string{"limit": "ten"}, "limit must be"},
		{"limit huge", bashoutter.RouteList, "", "", map[string]string{"limit": "101"}, "limit must be"},
		{"bad token", bashoutter.RouteList, "", "", map[string]string{"next": "garbage!"}, "next is not a page token"},
		{"forged token", bashoutter.RouteList, "", "", map[string]string{"next": base64.RawURLEncoding.EncodeToString([]byte(`{"i":"x","c":"yesterday"}`))}, "next is not a page token"},
		{"bad id", bashoutter.RouteLike, "../../etc", "", nil, "is not an id from this API"},
		{"empty id", bashoutter.RouteDelete, "", "", nil, "is not an id from this API"},
		{"long id", bashoutter.RouteDelete, strings.Repeat("a", 65), "", nil, "is not an id from this API"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := events.APIGatewayV2HTTPRequest{RouteKey: c.route, Body: c.body, QueryStringParameters: c.query}
			if c.id != "" {
				req.PathParameters = map[string]string{"item_id": c.id}
			}
			req.IsBase64Encoded = c.name == "bad base64"
			resp, err := h.Handle(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			msg := decode[map[string]string](t, resp)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg["message"], c.want) {
				t.Errorf("= %d %s, want 400 with %q", resp.StatusCode, resp.Body, c.want)
			}
		})
	}
	if page := decode[bashoutter.Page](t, call(t, h, bashoutter.RouteList, "", "", nil)); len(page.Items) != 0 {
		t.Errorf("bad posts stored %+v", page.Items)
	}
}

// Issue 14: a haiku with an emoji ZWJ sequence (man, woman, girl joined by U+200D) is
// created, stored and listed as the same characters.
func TestFamilyEmojiHaikuIsCreated(t *testing.T) {
	h, _ := newHandler(t)
	body := `{"username":"芭蕉","first":"古池や👨‍👩‍👧","second":"蛙飛び込む","third":"水の音"}`
	resp := call(t, h, bashoutter.RoutePost, "", body, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST = %d %s, want 201", resp.StatusCode, resp.Body)
	}
	page := decode[bashoutter.Page](t, call(t, h, bashoutter.RouteList, "", "", nil))
	if len(page.Items) != 1 || page.Items[0].First != "古池や👨‍👩‍👧" || page.Items[0].Username != "芭蕉" {
		t.Errorf("listed %+v", page.Items)
	}
}

func TestBase64BodyAndUnknownRoute(t *testing.T) {
	h, _ := newHandler(t)
	req := events.APIGatewayV2HTTPRequest{RouteKey: bashoutter.RoutePost, Body: base64.StdEncoding.EncodeToString([]byte(basho)), IsBase64Encoded: true}
	resp, _ := h.Handle(context.Background(), req)
	if resp.StatusCode != http.StatusCreated || decode[bashoutter.Haiku](t, resp).Third != "蝉の声" {
		t.Errorf("base64 POST = %d %s", resp.StatusCode, resp.Body)
	}
	resp = call(t, h, "PUT /haiku", "", "", nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, "no route PUT /haiku") {
		t.Errorf("unknown route = %d %s", resp.StatusCode, resp.Body)
	}
}

// When DynamoDB fails (here: the table is gone), the API answers 500 with a generic
// message and logs the cause.
func TestDynamoDBFailureIs500AndLogged(t *testing.T) {
	h, db := newHandler(t)
	var logged []string
	h.Logf = func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	if _, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &h.Store.Table}); err != nil {
		t.Fatal(err)
	}
	for _, route := range bashoutter.Routes {
		id := ""
		if strings.Contains(route, "{item_id}") {
			id = "0123456789abcdef0123456789abcdef"
		}
		resp := call(t, h, route, id, basho, nil)
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(resp.Body, "internal error") || strings.Contains(resp.Body, h.Store.Table) {
			t.Errorf("%s = %d %s, want 500 without details", route, resp.StatusCode, resp.Body)
		}
	}
	if len(logged) != len(bashoutter.Routes) || !strings.Contains(logged[0], "ResourceNotFoundException") {
		t.Errorf("logged %q, want one line per failure with DynamoDB's error", logged)
	}
}
