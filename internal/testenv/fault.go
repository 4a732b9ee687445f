package testenv

// The fault layer: a reverse proxy on 127.0.0.1 in front of moto (or any test stand-in)
// that makes the clients meet the AWS that learners meet, not an ideal one. Each
// Scenario is named, seeded and deterministic (faults fall on call counts, never on
// the wall clock), cites the AWS documentation of the behaviour it models, and the
// proxy records every fault it injected, per rule and per operation, so that each test
// can assert its faults were hit.
//
// A request's service comes from its SigV4 credential scope (…/us-east-1/ecs/aws4_request);
// its operation from X-Amz-Target (JSON protocols), the Action form field (query
// protocols: EC2, CloudFormation, IAM, STS), or the method and URL path (REST: S3,
// Batch, Lambda, API Gateway). Error answers have each protocol's shape, so the SDK
// parses them as it parses AWS's.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kind is what a rule does to a matching request.
type Kind string

const (
	// KindError answers an API error (Status, Code, Message) in the request's protocol
	// without forwarding it.
	KindError Kind = "error"
	// KindAnswer answers Status and Body as they are (e.g. RunTask's 200 with failures).
	KindAnswer Kind = "answer"
	// KindReset closes the connection with a TCP reset before the request is forwarded.
	KindReset Kind = "reset"
	// KindSlow forwards the request after Delay (bounded; no test asserts a duration).
	KindSlow Kind = "slow"
	// KindLag makes reads miss what a write just created (read-after-write lag): see lag.
	KindLag Kind = "lag"
	// KindLostAnswer forwards the request, then resets the connection instead of
	// answering: the call took effect, and the client does not know (its retry must be
	// idempotent).
	KindLostAnswer Kind = "lost-answer"
)

// Rule is one fault and where it falls.
type Rule struct {
	Name    string
	Service string   // SigV4 service name (ecs, dynamodb, batch, ...), "http" for unsigned requests, "" for any
	Ops     []string // operations (as in the API reference, e.g. DescribeTasks); none = every operation
	Kind    Kind
	Status  int
	Code    string
	Message string
	Body    string        // KindAnswer
	Delay   time.Duration // KindSlow
	Lag     int           // KindLag: how many reads of a new resource miss it

	// Every falls on every Every-th matching call (1: every call), in bursts of Burst
	// consecutive calls, starting at a phase the scenario's seed picks. Limit caps the
	// number of faults (0: no cap).
	Every, Burst, Limit int
	// Skip lets the first Skip matching calls through (a refusal in the middle of a
	// batch: "the 2nd SubmitJob is denied").
	Skip int
}

// Scenario is a named, seeded set of rules.
type Scenario struct {
	Name  string
	Seed  uint64
	Cite  string // the AWS documentation or public report of the behaviour
	Rules []Rule
	// Refusal: a fault the client cannot retry away; it must explain it in one line
	// and exit non-zero.
	Refusal bool
}

// FaultProxy is a running fault layer.
type FaultProxy struct {
	URL      string
	Scenario Scenario
	srv      *httptest.Server
	target   *url.URL
	proxy    *httputil.ReverseProxy

	mu       sync.Mutex
	seen     []int // matching calls per rule
	phase    []int
	injected map[string]map[string]int // rule name -> "service.Op" -> count
	lagged   []map[string]int          // per lag rule: resource id -> reads still to miss
	hooks    []func(Call)
}

// Call is one request as the fault layer saw it.
type Call struct {
	Service, Op string
	Index       int // 0-based, among all requests
}

// StartFaults starts the fault layer in front of target (a base URL) for one test.
func StartFaults(t testing.TB, target string, sc Scenario) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{Scenario: sc, target: u, proxy: httputil.NewSingleHostReverseProxy(u),
		seen: make([]int, len(sc.Rules)), phase: make([]int, len(sc.Rules)), injected: map[string]map[string]int{},
		lagged: make([]map[string]int, len(sc.Rules))}
	p.proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() == nil {
			t.Logf("fault layer: forwarding %s %s: %v", r.Method, r.URL.Path, err)
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	rng := rand.New(rand.NewPCG(sc.Seed, uint64(len(sc.Name))))
	for i, r := range sc.Rules {
		if r.Every > 1 {
			p.phase[i] = rng.IntN(r.Every)
		}
		p.lagged[i] = map[string]int{}
	}
	p.srv = httptest.NewServer(p) // 127.0.0.1
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// OnRequest calls f for every request before a fault is chosen (tests use it to
// interrupt a client at an exact point: "after the 3rd PutItem").
func (p *FaultProxy) OnRequest(f func(Call)) {
	p.mu.Lock()
	p.hooks = append(p.hooks, f)
	p.mu.Unlock()
}

// Injected returns the faults injected so far: rule name -> "service.Op" -> count.
func (p *FaultProxy) Injected() map[string]map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]map[string]int{}
	for r, ops := range p.injected {
		out[r] = map[string]int{}
		for op, n := range ops {
			out[r][op] = n
		}
	}
	return out
}

// Total is the number of faults injected so far (not counting the reads that a
// strongly consistent read kept from a lag).
func (p *FaultProxy) Total() int {
	n := 0
	for r, ops := range p.Injected() {
		if strings.HasSuffix(r, "/consistent") {
			continue
		}
		for _, c := range ops {
			n += c
		}
	}
	return n
}

// Summary is the record in one line: "rule: service.Op×n ...".
func (p *FaultProxy) Summary() string {
	inj := p.Injected()
	var rules []string
	for r := range inj {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	var parts []string
	for _, r := range rules {
		var ops []string
		for op, n := range inj[r] {
			ops = append(ops, fmt.Sprintf("%s×%d", op, n))
		}
		sort.Strings(ops)
		parts = append(parts, r+": "+strings.Join(ops, " "))
	}
	return strings.Join(parts, "; ")
}

// RequireHit fails the test unless the scenario injected faults (a scenario that never
// fired proves nothing): every read-after-write rule, and at least one fault in all.
// It logs the row of the scenario × client table (go test -v -run Faults | grep FAULTS).
func (p *FaultProxy) RequireHit(t testing.TB, client string) {
	t.Helper()
	inj := p.Injected()
	for _, r := range p.Scenario.Rules {
		if r.Kind == KindLag && len(inj[r.Name]) == 0 && len(inj[r.Name+"/consistent"]) == 0 {
			t.Errorf("scenario %s: rule %s injected nothing (service %q)", p.Scenario.Name, r.Name, r.Service)
		}
	}
	if p.Total() == 0 && len(p.Injected()) == 0 {
		t.Errorf("scenario %s injected no fault", p.Scenario.Name)
	}
	t.Logf("FAULTS client=%-28s scenario=%-20s injected=%-3d %s", client, p.Scenario.Name, p.Total(), p.Summary())
}

func (p *FaultProxy) record(rule, service, op string) {
	if p.injected[rule] == nil {
		p.injected[rule] = map[string]int{}
	}
	p.injected[rule][service+"."+op]++
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	service, op, proto := identify(r, body)
	p.mu.Lock()
	hooks := append([]func(Call){}, p.hooks...)
	p.mu.Unlock()
	for _, h := range hooks {
		h(Call{Service: service, Op: op})
	}

	var fault *Rule
	var lags []int
	p.mu.Lock()
	for i := range p.Scenario.Rules {
		rule := &p.Scenario.Rules[i]
		if rule.Kind == KindLag {
			if rule.Service == service {
				lags = append(lags, i)
			}
			continue
		}
		if fault != nil || !rule.matches(service, op) {
			continue
		}
		k := p.seen[i] - rule.Skip
		p.seen[i]++
		if k < 0 {
			continue
		}
		every, burst := max(rule.Every, 1), max(rule.Burst, 1)
		if (k+p.phase[i])%every < burst && (rule.Limit == 0 || p.count(rule.Name) < rule.Limit) {
			fault = rule
			p.record(rule.Name, service, op)
		}
	}
	p.mu.Unlock()

	if fault != nil {
		switch fault.Kind {
		case KindError:
			writeError(w, proto, service, fault.Status, fault.Code, fault.Message)
			return
		case KindAnswer:
			w.Header().Set("Content-Type", contentType(proto, r))
			w.WriteHeader(fault.Status)
			io.WriteString(w, fault.Body)
			return
		case KindReset:
			reset(w)
			return
		case KindSlow:
			select {
			case <-time.After(fault.Delay):
			case <-r.Context().Done():
				return
			}
		case KindLostAnswer:
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			p.proxy.ServeHTTP(httptest.NewRecorder(), r)
			reset(w)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if len(lags) == 0 {
		p.proxy.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.proxy.ServeHTTP(rec, r)
	out := rec.Body.Bytes()
	if rec.Code == http.StatusOK {
		for _, i := range lags {
			out = p.lag(i, service, op, body, out)
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	if !bytes.Equal(out, rec.Body.Bytes()) {
		w.Header().Del("X-Amz-Crc32") // DynamoDB's checksum of the body before the lag
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(out)))
	w.WriteHeader(rec.Code)
	w.Write(out)
}

func (p *FaultProxy) count(rule string) int {
	n := 0
	for _, c := range p.injected[rule] {
		n += c
	}
	return n
}

func (r *Rule) matches(service, op string) bool {
	if r.Service != "" && r.Service != service {
		return false
	}
	if len(r.Ops) == 0 {
		return true
	}
	for _, o := range r.Ops {
		if strings.EqualFold(o, op) {
			return true
		}
	}
	return false
}

// reset closes the client's connection with a TCP RST (SO_LINGER 0): what the SDK
// sees when a load balancer or NAT drops a connection ("connection reset by peer").
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fault layer: cannot hijack the connection")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// Protocols of the AWS APIs, as the error shapes differ.
const (
	protoJSON     = "json"     // X-Amz-Target: DynamoDB, ECS, SSM, CloudWatch Logs (awsJson1_0/1_1)
	protoQuery    = "query"    // Action=...: CloudFormation, IAM, STS (awsQuery)
	protoEC2      = "ec2"      // Action=... to EC2 (ec2Query)
	protoRESTXML  = "rest-xml" // S3
	protoRESTJSON = "rest-json"
	protoHTTP     = "http" // unsigned: an HTTP API of API Gateway
)

// identify names the request's service, operation and protocol.
func identify(r *http.Request, body []byte) (service, op, proto string) {
	service = "http"
	if _, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		// Credential=AKID/20260101/us-east-1/ecs/aws4_request
		if scope := strings.Split(strings.SplitN(rest, ",", 2)[0], "/"); len(scope) >= 5 {
			service = scope[3]
		}
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return service, target[strings.LastIndex(target, ".")+1:], protoJSON
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
			if service == "ec2" {
				return service, form.Get("Action"), protoEC2
			}
			return service, form.Get("Action"), protoQuery
		}
	}
	switch service {
	case "s3":
		return service, s3Operation(r), protoRESTXML
	case "batch":
		// POST /v1/submitjob, /v1/describejobs, ...
		return service, strings.TrimPrefix(r.URL.Path, "/v1/"), protoRESTJSON
	case "lambda":
		if strings.HasSuffix(r.URL.Path, "/invocations") {
			return service, "Invoke", protoRESTJSON
		}
		if r.Method == http.MethodGet && strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/functions") {
			return service, "ListFunctions", protoRESTJSON
		}
		return service, r.Method + " " + r.URL.Path, protoRESTJSON
	case "http":
		return service, r.Method + " " + routeOf(r.URL.Path), protoHTTP
	}
	return service, r.Method + " " + r.URL.Path, protoRESTJSON
}

// routeOf turns /haiku/0123-... into /haiku/{id}.
func routeOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) > 1 {
		parts[len(parts)-1] = "{id}"
	}
	return "/" + strings.Join(parts, "/")
}

func s3Operation(r *http.Request) string {
	q := r.URL.Query()
	path := strings.Trim(r.URL.Path, "/")
	hasKey := strings.Contains(path, "/")
	switch {
	case r.Method == http.MethodGet && !hasKey && q.Has("list-type"):
		return "ListObjectsV2"
	case r.Method == http.MethodGet && !hasKey && q.Has("versions"):
		return "ListObjectVersions"
	case r.Method == http.MethodGet && !hasKey:
		return "ListObjects"
	case r.Method == http.MethodGet:
		return "GetObject"
	case r.Method == http.MethodHead && hasKey:
		return "HeadObject"
	case r.Method == http.MethodHead:
		return "HeadBucket"
	case r.Method == http.MethodPut && hasKey && q.Has("uploadId"):
		return "UploadPart"
	case r.Method == http.MethodPut && hasKey:
		return "PutObject"
	case r.Method == http.MethodPost && q.Has("delete"):
		return "DeleteObjects"
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodDelete && hasKey:
		return "DeleteObject"
	}
	return r.Method + " " + r.URL.Path
}

func contentType(proto string, r *http.Request) string {
	switch proto {
	case protoJSON:
		if ct := r.Header.Get("Content-Type"); ct != "" {
			return ct
		}
		return "application/x-amz-json-1.1"
	case protoQuery, protoEC2, protoRESTXML:
		return "text/xml"
	}
	return "application/json"
}

// writeError answers an API error in the shape of the request's protocol (see the
// Smithy protocol specs: awsJson1_0/1_1 "__type"; restJson1 X-Amzn-Errortype;
// awsQuery <ErrorResponse>; ec2Query <Response><Errors>; restXml <Error>; API Gateway
// {"message"}).
func writeError(w http.ResponseWriter, proto, service string, status int, code, msg string) {
	h := w.Header()
	reqID := "fault-0000-0000"
	switch proto {
	case protoJSON:
		h.Set("Content-Type", "application/x-amz-json-1.1")
		h.Set("X-Amzn-Requestid", reqID)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	case protoRESTJSON:
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-Errortype", code)
		h.Set("X-Amzn-Requestid", reqID)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"message": msg})
	case protoHTTP:
		// API Gateway's own answers (throttling 429, 5xx) carry only a message.
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"message": msg})
	case protoEC2:
		h.Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`, code, xmlText(msg), reqID)
	case protoQuery:
		h.Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		kind := "Sender"
		if status >= 500 {
			kind = "Receiver"
		}
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, kind, code, xmlText(msg), reqID)
	default: // rest-xml (S3)
		h.Set("Content-Type", "application/xml")
		h.Set("X-Amz-Request-Id", reqID)
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`, code, xmlText(msg), reqID)
	}
}

func xmlText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// lag applies read-after-write lag rule i to one answer: a write's new resources are
// noted, and the next Lag reads that would show one of them miss it instead.
func (p *FaultProxy) lag(i int, service, op string, reqBody, resp []byte) []byte {
	rule := &p.Scenario.Rules[i]
	var req, doc map[string]any
	json.Unmarshal(reqBody, &req)
	if json.Unmarshal(resp, &doc) != nil {
		return resp
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pending := p.lagged[i]
	note := func(id string) {
		if id != "" {
			pending[id] = rule.Lag
		}
	}
	// miss reports whether this read should miss id, and counts it.
	miss := func(id string) bool {
		if pending[id] <= 0 {
			return false
		}
		pending[id]--
		p.record(rule.Name, service, op)
		return true
	}
	changed := false
	switch service + "." + strings.ToLower(op) {
	case "ecs.runtask":
		for _, t := range asList(doc["tasks"]) {
			note(str(t, "taskArn"))
		}
	case "ecs.describetasks":
		// ECS: "If you get a MISSING failure for a task you just started, it has not
		// propagated yet" — DescribeTasks answers it under failures, not tasks.
		var keep, failures []any
		failures = asList(doc["failures"])
		for _, t := range asList(doc["tasks"]) {
			if arn := str(t, "taskArn"); miss(arn) {
				failures = append(failures, map[string]any{"arn": arn, "reason": "MISSING"})
				changed = true
				continue
			}
			keep = append(keep, t)
		}
		if changed {
			doc["tasks"], doc["failures"] = orEmpty(keep), failures
		}
	case "batch.submitjob":
		note(str(doc, "jobId"))
	case "batch.describejobs":
		changed = filter(doc, "jobs", func(j any) bool { return miss(str(j, "jobId")) })
	case "batch.listjobs":
		changed = filter(doc, "jobSummaryList", func(j any) bool { return miss(str(j, "jobId")) })
	case "dynamodb.putitem":
		note(keyOf(req["Item"]))
	case "dynamodb.batchwriteitem":
		for _, reqs := range asMap(req["RequestItems"]) {
			for _, wr := range asList(reqs) {
				if put := asMap(asMap(wr)["PutRequest"]); put != nil {
					note(keyOf(put["Item"]))
				}
			}
		}
	case "dynamodb.batchgetitem":
		for table, got := range asMap(doc["Responses"]) {
			consistent := asMap(asMap(req["RequestItems"])[table])["ConsistentRead"] == true
			var keep []any
			for _, it := range asList(got) {
				switch {
				case pending[keyOf(it)] <= 0:
				case consistent:
					p.record(rule.Name+"/consistent", service, op)
				case miss(keyOf(it)):
					changed = true
					continue
				}
				keep = append(keep, it)
			}
			asMap(doc["Responses"])[table] = orEmpty(keep)
		}
	case "dynamodb.scan", "dynamodb.query":
		// Strongly consistent reads see every write that succeeded before them: the
		// record notes each read the lag would have hit ("rule/consistent").
		if req["ConsistentRead"] == true {
			for _, it := range asList(doc["Items"]) {
				if pending[keyOf(it)] > 0 {
					p.record(rule.Name+"/consistent", service, op)
				}
			}
			break
		}
		if changed = filter(doc, "Items", func(it any) bool { return miss(keyOf(it)) }); changed {
			doc["Count"] = len(asList(doc["Items"]))
		}
	}
	if !changed {
		return resp
	}
	out, _ := json.Marshal(doc)
	return out
}

// keyOf is an item's item_id (the partition key of every table in the course).
func keyOf(item any) string {
	return str(asMap(asMap(item)["item_id"]), "S")
}

func filter(doc map[string]any, key string, drop func(any) bool) bool {
	list := asList(doc[key])
	var keep []any
	for _, x := range list {
		if !drop(x) {
			keep = append(keep, x)
		}
	}
	if len(keep) == len(list) {
		return false
	}
	doc[key] = orEmpty(keep)
	return true
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func asList(v any) []any           { l, _ := v.([]any); return l }
func asMap(v any) map[string]any   { m, _ := v.(map[string]any); return m }
func str(v any, key string) string { s, _ := asMap(v)[key].(string); return s }
